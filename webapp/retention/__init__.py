"""Retention: personal data of bookings is deleted a set time after the session."""
