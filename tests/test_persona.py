"""The persona sentence on a story page and in its feed entry reads naturally for any role."""
import pytest

from storygen.public import persona_sentence


@pytest.mark.parametrize("role,setting,expected", [
    ("support worker", "a council in the north of England",
     "Sam is a support worker in a council in the north of England."),
    ("someone using local services", "the north of England",
     "Sam is someone using local services in the north of England."),
    ("adviser", "a citizens advice office", "Sam is an adviser in a citizens advice office."),
    ("occupational therapist", "", "Sam is an occupational therapist."),
    ("NHS nurse", "Wales", "Sam is an NHS nurse in Wales."),
    ("GP receptionist", "a market town", "Sam is a GP receptionist in a market town."),
    ("university lecturer", "", "Sam is a university lecturer."),
    ("hourly-paid carer", "", "Sam is an hourly-paid carer."),
    ("one of the night team", "at a hospice", "Sam is one of the night team at a hospice."),
    ("the only social worker", "on an island", "Sam is the only social worker on an island."),
    ("parent of two", "from a coastal town", "Sam is a parent of two from a coastal town."),
    ("a housing officer", "", "Sam is a housing officer."),
    ("", "a small town", "Sam's story is set in a small town."),
    ("", "", ""),
    ("  team   leader ", " a  housing association. ", "Sam is a team leader in a housing association."),
])
def test_persona_sentence(role, setting, expected):
    assert persona_sentence("Sam", role, setting) == expected
