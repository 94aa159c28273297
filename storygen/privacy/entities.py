"""The Presidio entities the guard uses, and the names it gives them (no Presidio import)."""

# Presidio entity -> our entity name.
PRESIDIO_ENTITIES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "UK_NHS": "NHS",
    "UK_NINO": "NINO",
    "URL": "URL",
    "IP_ADDRESS": "IP",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "UK_DRIVING_LICENCE": "DRIVING",
}
