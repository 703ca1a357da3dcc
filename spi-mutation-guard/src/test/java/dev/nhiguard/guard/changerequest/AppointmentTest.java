package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.nhiguard.guard.changerequest.ApproverBootstrapTask.Appointment;

class AppointmentTest {

    @Test
    void theOptionIsReadAsKeycloakStoresUsernames() {
        List<Appointment> a = Appointment.parse(" acme : Eve ,acme:gwen");
        assertEquals(List.of(new Appointment("acme", "eve"), new Appointment("acme", "gwen")), a);
    }

    @Test
    void aRequestNamesTheAppointeeInAnyCaseOrPadding() {
        Appointment eve = Appointment.parse("acme:Eve").get(0);
        assertTrue(eve.names("acme", "eve"));
        assertTrue(eve.names("acme", " EVE "), "Keycloak lowers the username it stores; padding is held too");
        assertFalse(eve.names("other", "eve"), "another realm's user of that name is not appointed");
        assertFalse(eve.names("acme", "eve2"));
    }

    @Test
    void aMalformedOptionIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Appointment.parse("acme"));
        assertThrows(IllegalArgumentException.class, () -> Appointment.parse("acme:"));
        assertThrows(IllegalArgumentException.class, () -> Appointment.parse(":eve"));
        assertEquals(List.of(), Appointment.parse(" "));
    }
}
