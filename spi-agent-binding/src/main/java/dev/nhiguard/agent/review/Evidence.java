package dev.nhiguard.agent.review;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.persistence.EntityManager;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import dev.nhiguard.agent.inventory.InventoryCsv;
import dev.nhiguard.agent.review.store.ReviewCampaignEntity;
import dev.nhiguard.agent.review.store.ReviewItemEntity;

/**
 * The evidence of one campaign: a row per item with the snapshot its reviewers saw, the
 * snapshot's digest, the decision, and the audit chain's {@code seq} and {@code hash} of the
 * decision's record (target {@code nhi/reviews/campaigns/{c}/items/{i}}), so an auditor can check
 * each row against a verified chain export. The chain is read through the audit module's JPA
 * entity ({@code AuditRecordEntity}) when that module is installed; without it, or before the
 * record is sequenced, {@code chainSeq} and {@code chainHash} are empty.
 */
final class Evidence {

    static final String AUDIT_ENTITY = "AuditRecordEntity";

    /** One exported row. */
    record Row(String campaignId, String itemId, String clientUuid, String clientId, String reviewerSource, String reviewers,
               String decision, String decidedBy, String decidedAt, String snapshotDigest, String outcome, Long chainSeq,
               String chainHash, String snapshot) {
    }

    /** The export: the campaign and its rows. */
    record Export(Campaigns.CampaignView campaign, String exportedAt, boolean chainAvailable, List<Row> rows) {
    }

    static final List<String> CSV_COLUMNS = List.of("campaignId", "itemId", "clientUuid", "clientId", "reviewerSource", "reviewers",
            "decision", "decidedBy", "decidedAt", "snapshotDigest", "outcome", "chainSeq", "chainHash", "snapshot");

    private final KeycloakSession session;
    private final RealmModel realm;
    private final Campaigns campaigns;

    Evidence(KeycloakSession session, RealmModel realm, Campaigns campaigns) {
        this.session = session;
        this.realm = realm;
        this.campaigns = campaigns;
    }

    Export export(String campaignId) {
        ReviewCampaignEntity c = campaigns.campaignEntity(campaignId);
        boolean chain = chainAvailable();
        List<Row> rows = new ArrayList<>();
        for (ReviewItemEntity i : campaigns.itemEntities(campaignId)) {
            List<String> names = new ArrayList<>();
            for (String id : Campaigns.reviewerIds(i)) {
                Campaigns.Person p = campaigns.person(id);
                names.add(p.username() == null ? id : p.username());
            }
            String decidedBy = i.getDecidedBy() == null ? null
                    : Campaigns.SYSTEM.equals(i.getDecidedBy()) ? Campaigns.SYSTEM : campaigns.person(i.getDecidedBy()).username();
            Object[] link = chain && i.getDecision() != null ? chainRecord(c.getId(), i.getId()) : null;
            rows.add(new Row(c.getId(), i.getId(), i.getClientId(), i.getClientName(), i.getReviewerSource(), String.join(" ", names),
                    i.getDecision(), decidedBy, i.getDecidedAt() == null ? null : Instant.ofEpochMilli(i.getDecidedAt()).toString(),
                    i.getDigest(), i.getOutcome(), link == null ? null : (Long) link[0], link == null ? null : (String) link[1],
                    i.getSnapshot()));
        }
        return new Export(campaigns.campaign(campaignId), Instant.now().toString(), chain, rows);
    }

    static String csv(Export export) {
        StringBuilder out = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
        for (Row r : export.rows()) {
            Object[] cells = {r.campaignId(), r.itemId(), r.clientUuid(), r.clientId(), r.reviewerSource(), r.reviewers(), r.decision(),
                    r.decidedBy(), r.decidedAt(), r.snapshotDigest(), r.outcome(), r.chainSeq(), r.chainHash(), r.snapshot()};
            for (int k = 0; k < cells.length; k++) {
                if (k > 0) {
                    out.append(',');
                }
                out.append(cell(cells[k]));
            }
            out.append("\r\n");
        }
        return out.toString();
    }

    static String cell(Object value) {
        return InventoryCsv.escape(value == null ? null : value.toString());
    }

    private boolean chainAvailable() {
        return em().getMetamodel().getEntities().stream().anyMatch(e -> AUDIT_ENTITY.equals(e.getName()));
    }

    /** The latest chained record of the item's decision: seq and hash. */
    private Object[] chainRecord(String campaignId, String itemId) {
        List<Object[]> found = em().createQuery("select r.seq, r.hash from " + AUDIT_ENTITY + " r where r.realmId = :realm"
                        + " and r.target = :target and r.eventType = :type order by r.seq desc", Object[].class)
                .setParameter("realm", realm.getId()).setParameter("target", "nhi/reviews/campaigns/" + campaignId + "/items/" + itemId)
                .setParameter("type", Campaigns.RESOURCE_TYPE).setMaxResults(1).getResultList();
        return found.isEmpty() ? null : found.get(0);
    }

    private EntityManager em() {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
