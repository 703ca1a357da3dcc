package dev.nhiguard.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium driven through ChromeDriver, both from Debian's packages
 * ({@code chromium}, {@code chromium-driver}); nothing is downloaded. Skipped when they are
 * absent, unless {@code nhi.require-services} is true (CI), when the test fails.
 */
public final class Browser implements AutoCloseable {

    public static final Path CHROMIUM = Path.of(System.getProperty("nhi.chromium", "/usr/bin/chromium"));
    public static final Path CHROMEDRIVER = Path.of(System.getProperty("nhi.chromedriver", "/usr/bin/chromedriver"));

    private final WebDriver driver;
    private final Path profile;

    private Browser(WebDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    public static Browser start() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String why = "Chromium (" + CHROMIUM + ") or ChromeDriver (" + CHROMEDRIVER + ") is not installed";
            if (Boolean.getBoolean("nhi.require-services")) {
                throw new IllegalStateException(why + " (required: nhi.require-services=true)");
            }
            Assumptions.abort(why);
        }
        try {
            Path profile = Files.createTempDirectory("nhi-chromium-");
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000",
                    "--user-data-dir=" + profile);
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                    .usingAnyFreePort()
                    .build();
            return new Browser(new ChromeDriver(service, options), profile);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public WebDriver driver() {
        return driver;
    }

    public void open(String url) {
        driver.get(url);
    }

    /**
     * A wait that polls again when the page re-rendered the element it was reading (pages replace
     * their nodes as data arrives), instead of failing on a stale reference.
     */
    public WebDriverWait waiting(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(driver, timeout);
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    /** Waits up to 30 s for an element to be visible. */
    public WebElement await(By by) {
        return await(by, Duration.ofSeconds(30));
    }

    /** Waits for an element to be visible. */
    public WebElement await(By by, Duration timeout) {
        return waiting(timeout).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Waits for an element to be clickable, then clicks it. */
    public void click(By by, Duration timeout) {
        waiting(timeout).until(d -> {
            WebElement element = ExpectedConditions.elementToBeClickable(by).apply(d);
            if (element == null) {
                return false;
            }
            element.click();
            return true;
        });
    }

    /** Waits until the page's text contains the given text, and returns the page's text. */
    public String awaitPageText(String text, Duration timeout) {
        return waiting(timeout).until(d -> {
            String body = d.findElement(By.tagName("body")).getText();
            return body.contains(text) ? body : null;
        });
    }

    /** Waits up to 30 s until the element's text contains the given text. */
    public void awaitText(By by, String text) {
        waiting(Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
    }

    /** Keycloak's login form: username and password, then the OTP page when {@code otp} is not null. */
    public void logIn(String username, String password, String otp) {
        await(By.id("username")).sendKeys(username);
        driver.findElement(By.id("password")).sendKeys(password);
        driver.findElement(By.id("kc-login")).click();
        if (otp != null) {
            await(By.id("otp")).sendKeys(otp);
            driver.findElement(By.id("kc-login")).click();
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
