"""Generate the privacy guard's labelled evaluation set: benchmarks/privacy_eval.jsonl.

Synthetic, UK-flavoured interview excerpts with gold spans per entity type. Only safe
test values (../shared/knowledge/privacy.md): NHS numbers in the 999 range with a valid
checksum, Ofcom's drama phone ranges, valid-prefix NI numbers, example.* domains.

Names are honest: about a third come from a hand-written hold-out list that the
detector's name lists were not built from, and many excerpts are hard negatives
(capitalised common words, sentence starts, "the 70s", place-like words, version
numbers, timestamps, money, reference numbers).

    python benchmarks/make_privacy_eval.py        # deterministic (seeded); rewrites the .jsonl
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("privacy_eval.jsonl")
SEED = 20261125
N = 600
N_HOLDOUT = 200

# Hold-out names: written by hand, not drawn from the lists the detector ships.
HOLDOUT_FIRST = """Siobhan Aoife Tomasz Oluwaseun Callum Niamh Rhys Eilidh Catrin Dafydd Ffion Iwan Hamish Morag
Kirsty Mairead Saoirse Ciaran Declan Grainne Bronwen Ianto Nkechi Chidi Kwame Abena Amara Zainab Aisha Imran
Tariq Bilal Harpreet Gurpreet Jaspreet Rajinder Sunita Deepa Anil Vikram Wojciech Agnieszka Krzysztof Bogdan
Ionela Andreea Florin Mihai Yusuf Fatima Ayaan Ravi Lakshmi Thanh Minh Kayleigh Jodie Shannon Tyrone Dwayne
Leroy Precious Blessing Tendai Farai Olamide Temitope Ngozi Emeka Segun Kemi Parveen Shabana Rukhsana Nasreen""".split()
HOLDOUT_LAST = """O'Connor McAllister Nwosu Mensah Owusu Kowalczyk Nowak Popescu Chaudhry Begum Ahmed Khan Singh
Kaur Llewellyn MacLeod Fraser Campbell Adeyemi Okonjo Boateng Asante Wiśniewski Dąbrowski Ionescu Hussain
Iqbal Rahman Sandhu Gill Dhillon Pritchard Bevan Gallagher Doherty Quinn Rafferty""".split()


def _faker_names():
    from faker.providers.person.en_GB import Provider
    first = sorted(set(Provider.first_names_male) | set(Provider.first_names_female))
    return first, sorted(set(Provider.last_names))


FIRST, LAST = _faker_names()
# Names that are also everyday words make the task harder; keep the gold honest by
# including some ("Grace", "Hope" are real first names people have).


def nhs(rng):
    while True:
        body = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            digits = body + str(check)
            sep = rng.choice([" ", "", "-"])
            return f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


def phone(rng):
    n = rng.randrange(1000)
    form = rng.randrange(11)
    mob = f"{n:03d}"
    land = f"{n:03d}"
    return [
        f"07700 900{mob}", f"07700900{mob}", f"07700-900-{mob}", f"+44 7700 900{mob}",
        f"+44 (0)7700 900 {mob}", f"0044 7700 900{mob}", f"(0113) 496 0{land}", f"0113 4960{land}",
        f"020 7946 0{land}", f"0207 946 0{land}", f"+44 20 7946 0{land}",
    ][form]


AREAS = "LS NE M B G EH CF BS SW SE N E W L S YO HU DN TS DH SR".split()
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def postcode(rng):
    area = rng.choice(AREAS)
    district = str(rng.randrange(1, 20))
    inward = f"{rng.randrange(10)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
    return f"{area}{district}{rng.choice([' ', ' ', ''])}{inward}"


NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def nino(rng):
    while True:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if prefix not in {"BG", "GB", "NK", "KN", "NT", "TN", "ZZ"} and prefix[0] not in "DFIQUV":
            break
    d = "".join(str(rng.randrange(10)) for _ in range(6))
    suffix = rng.choice("ABCD")
    return rng.choice([f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}", f"{prefix}{d}{suffix}"])


def email(rng, first, last):
    user = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randrange(10, 99)}",
                       f"{first}_{last[:3]}"]).lower().replace("'", "")
    return f"{user}@{rng.choice(['example.com', 'example.org', 'example.co.uk', 'mail.example.net'])}"


def url(rng, first):
    slug = first.lower()
    return rng.choice([f"https://www.example.com/profile/{slug}{rng.randrange(100)}",
                       f"www.example.co.uk/{slug}-family", f"https://example.org/groups/{slug}-support",
                       f"http://blog.example.net/{slug}/2019/05", f"example.com/u/{slug}"])


def handle(rng, first):
    return "@" + rng.choice([f"{first.lower()}_{rng.randrange(10, 999)}", f"{first}{rng.choice(['x', 'uk'])}"])


def person(rng):
    holdout = rng.random() < 0.33
    first = rng.choice(HOLDOUT_FIRST if holdout else FIRST)
    last = rng.choice(HOLDOUT_LAST if rng.random() < 0.33 else LAST)
    return first, last


# Sentence templates. {X} is filled and labelled; {p} a full person, {f} first name only,
# {t} title + surname (labelled as PERSON including the title).
POSITIVE = [
    ("PHONE", "If you need me just ring {X} and leave a message."),
    ("PHONE", "The number for the office was {X}, but nobody picked up."),
    ("PHONE", "She wrote {X} on the back of my hand."),
    ("EMAIL", "You can email {X} and she'll get back to you."),
    ("EMAIL", "All the letters came from {X} in the end."),
    ("POSTCODE", "We were living at {X} when it started."),
    ("POSTCODE", "Anyone with a {X} postcode got the letter."),
    ("NHS", "My NHS number is {X}, I know it off by heart."),
    ("NHS", "They kept asking for {X} as if I'd remember it."),
    ("NINO", "My National Insurance number is {X}, I gave it three times."),
    ("NINO", "The form had {X} written in the wrong box."),
    ("URL", "It's all on {X} if you want to see it."),
    ("URL", "She set up a page at {X} for the group."),
    ("HANDLE", "Follow {X} and you'll see what we do."),
    ("PERSON", "I told {p} about it and she just nodded."),
    ("PERSON", "Then {p} from housing rang me back."),
    ("PERSON", "Me and {f} went down together."),
    ("PERSON", "I asked {f} whether it was normal."),
    ("PERSON", "{p} was the one who sorted it in the end."),
    ("PERSON", "We went to see {t} on the Tuesday."),
    ("PERSON", "My name is {f}, by the way."),
    ("PERSON", "There was a lad called {f} who helped."),
    ("PERSON", "It was {f} who noticed first, not me."),
    ("PERSON", "My sister {f} came with me every time."),
    ("DOB", "I was born on {X}, so I was still young."),
    ("DATE", "It all changed on {X}, I remember that."),
    ("AGE", "I was {X} when I first went to them."),
]
TITLES = ["Mrs", "Mr", "Dr", "Ms", "Nurse", "Miss"]
NEGATIVE = [
    "We were in the 70s then, everything was different.",
    "She had bed 12A by the window for a week.",
    "Version 2.1.4 of the system came out and nothing worked.",
    "The captions ran from 00:00:01.000 to 00:00:04.500 on the screen.",
    "It took six months, maybe eighteen months, to sort it all out.",
    "Will you come to the meeting? May I ask why not?",
    "Hope was all we had left at that point.",
    "Grace period or not, the money just stopped.",
    "In March we moved. In May it got worse. June was better.",
    "Social Services called. The Council wrote back. Universal Credit stopped.",
    "A council in the north of England, a town in the North East.",
    "I'm 5 minutes away, I said, but I was 30 minutes late.",
    "The NHS and the DWP both wrote to me on the same day.",
    "The M1 was closed so we went round the A1 instead.",
    "Page 12 of 40, the form said, section 3.2.",
    "The case reference was 1234567890 and it meant nothing to me.",
    "It cost £1,200.50 in 2019 and £950 the year after.",
    "We talked about CO2 and the heating bills for an hour.",
    "Every Monday the team met at 9.30 for twenty minutes.",
    "Type 2 diabetes runs in the family, that's all I'll say.",
    "They gave me vitamin B12 and sent me home.",
    "It's a 24/7 service, they said, 365 days a year.",
    "One in 4 people will have a mental health problem.",
    "We had a 50/50 chance, the doctor said.",
    "Ring 111 if it's not an emergency, 999 if it is.",
    "Room 101 was where they did the assessments.",
    "Christmas was hard. Easter was a bit better.",
    "Jobcentre Plus sent me on a course about CVs.",
    "Mark my words, it will happen again.",
    "Frank conversations are what we needed.",
    "The Housing Team said they'd look into it.",
    "We went to the Citizens Advice in town.",
    "Sunny days were the worst for some reason.",
    "The bus was the 42, it came every 20 minutes.",
    "I scored 7 out of 10 on their wellbeing thing.",
    "Brexit changed a lot of things for people like us.",
    "Monday to Friday, 9 till 5, and then nothing at the weekend.",
    "The North West team were different to ours.",
    "Windows 10 kept crashing on the old laptops.",
    "It was about 3.5 miles, give or take.",
    "Nobody Asked Me, that was the name of the leaflet.",
    "Dawn was breaking by the time we got home.",
    "Amber warnings all week, and then the flood.",
    "Rose bushes in the garden, that's what I remember.",
    "The ward had 28 beds and 3 nurses.",
    "She was in her 40s, I think, maybe older.",
    "Parliament Street was shut for the roadworks.",
    "Covid-19 changed everything about the job.",
    "Section 21 notices were going out every week.",
    "WhatsApp groups were how we kept in touch.",
]


# Held-out templates: written after the detectors were built and never used to tune them.
# The benchmark reports them separately, so the "dev" numbers cannot flatter.
HOLDOUT_POSITIVE = [
    ("PERSON", "Thanks to {f}, I got the forms in on time."),
    ("PERSON", "{f}'s mum used to take us to the centre."),
    ("PERSON", "We had a worker, {p}, who was brilliant."),
    ("PERSON", "Without {f} I'd have given up, honestly."),
    ("PERSON", "I remember {t} saying it would be fine."),
    ("PERSON", "Even {f} couldn't believe it."),
    ("PERSON", "Anyway, {f} turned up with a flask of tea."),
    ("PERSON", "She goes, {f}, you need to sit down."),
    ("PERSON", "Apparently {p} had moved on by then."),
    ("PERSON", "{f} never came back after that."),
    ("PHONE", "Her mobile's {X} if it's urgent."),
    ("PHONE", "Just text {X} when you're outside."),
    ("EMAIL", "Send it to {X}, not the main inbox."),
    ("POSTCODE", "The new flat's at {X}, nearer the shops."),
    ("NHS", "Number on the letter: {X}."),
    ("NINO", "It says {X} on my payslip."),
    ("URL", "Go to {X} and click on help."),
    ("DOB", "My date of birth is {X}, write that down."),
    ("AGE", "He's only {X} and already doing nights."),
]
HOLDOUT_NEGATIVE = [
    "Tuesday's clinic was cancelled again.",
    "The Trussell Trust food bank helped us that winter.",
    "Most people on Universal Credit know that feeling.",
    "Doctor Who was on in the background.",
    "Benefits Street made it worse for everyone.",
    "Channel 4 did a programme about it.",
    "Google Maps sent us the wrong way twice.",
    "Tesco Express was the only shop open.",
    "I read it on Facebook, like everyone else.",
    "Mental Health Awareness Week was a joke on our ward.",
    "Mum and Dad never knew about any of it.",
    "Sure Start was brilliant while it lasted.",
    "Hello Sunshine, she'd say to everyone who came in.",
    "The form was 12 pages long and had 150 questions.",
    "My rent went up by £45.60 a week.",
    "Freephone 0800 numbers are free from mobiles now.",
    "Paracetamol and a cup of tea, that's what they said.",
    "Bank Holiday Monday was the worst day to be on call.",
    "Job Centre, Council, Housing: three different doors.",
    "Carers Week came and went and nothing changed.",
]


def fill(rng, entity, template):
    """Return (text, [(start, end, entity)])."""
    spans = []
    first, last = person(rng)
    values = {}
    if entity == "PHONE":
        values["X"] = phone(rng)
    elif entity == "EMAIL":
        values["X"] = email(rng, first, last)
    elif entity == "POSTCODE":
        values["X"] = postcode(rng) if "postcode" not in template else \
            rng.choice([a for a in AREAS if len(a) == 2]) + str(rng.randrange(1, 20))
    elif entity == "NHS":
        values["X"] = nhs(rng)
    elif entity == "NINO":
        values["X"] = nino(rng)
    elif entity == "URL":
        values["X"] = url(rng, first)
    elif entity == "HANDLE":
        values["X"] = handle(rng, first)
    elif entity == "DOB":
        values["X"] = rng.choice([f"{rng.randrange(1, 28)} {rng.choice(['March', 'July', 'October'])} 19{rng.randrange(50, 99)}",
                                  f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/19{rng.randrange(50, 99)}"])
    elif entity == "DATE":
        values["X"] = rng.choice([f"the {rng.randrange(1, 28)}th of {rng.choice(['January', 'April', 'November'])}",
                                  f"{rng.randrange(1, 28)} {rng.choice(['Feb', 'Aug', 'Dec'])} 2019",
                                  f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/2020"])
    elif entity == "AGE":
        values["X"] = str(rng.randrange(16, 89))
    text = ""
    i = 0
    while i < len(template):
        if template.startswith("{X}", i):
            start = len(text)
            text += values["X"]
            label = "AGE" if entity == "AGE" else entity
            if entity == "AGE" and text.endswith("I was " + values["X"]):
                start = len(text) - len(values["X"]) - len("I was ")
            spans.append((start, len(text), label))
            i += 3
        elif template.startswith("{p}", i):
            spans.append((len(text), len(text) + len(first) + 1 + len(last), "PERSON"))
            text += f"{first} {last}"
            i += 3
        elif template.startswith("{f}", i):
            spans.append((len(text), len(text) + len(first), "PERSON"))
            text += first
            i += 3
        elif template.startswith("{t}", i):
            t = rng.choice(TITLES)
            spans.append((len(text), len(text) + len(t) + 1 + len(last), "PERSON"))
            text += f"{t} {last}"
            i += 3
        else:
            text += template[i]
            i += 1
    return text, spans


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for n in range(N):
        parts: list[tuple[str, list]] = []
        kind = rng.random()
        k = rng.randrange(1, 4)
        for _ in range(k):
            if kind < 0.35 or rng.random() < 0.3:
                parts.append((rng.choice(NEGATIVE), []))
            else:
                entity, template = rng.choice(POSITIVE)
                parts.append(fill(rng, entity, template))
        text, spans = "", []
        for sentence, sp in parts:
            if text:
                text += " "
            offset = len(text)
            text += sentence
            spans += [(a + offset, b + offset, e) for a, b, e in sp]
        rows.append({"id": f"eval-{n:04d}", "set": "dev", "text": text,
                     "spans": [{"start": a, "end": b, "entity": e, "value": text[a:b]} for a, b, e in spans]})
    for n in range(N_HOLDOUT):
        parts = []
        for _ in range(rng.randrange(1, 4)):
            if rng.random() < 0.4:
                parts.append((rng.choice(HOLDOUT_NEGATIVE), []))
            else:
                entity, template = rng.choice(HOLDOUT_POSITIVE)
                parts.append(fill(rng, entity, template))
        text, spans = "", []
        for sentence, sp in parts:
            if text:
                text += " "
            offset = len(text)
            text += sentence
            spans += [(a + offset, b + offset, e) for a, b, e in sp]
        rows.append({"id": f"holdout-{n:04d}", "set": "holdout", "text": text,
                     "spans": [{"start": a, "end": b, "entity": e, "value": text[a:b]} for a, b, e in spans]})
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for row in rows:
        for s in row["spans"]:
            counts[s["entity"]] = counts.get(s["entity"], 0) + 1
    print(f"{len(rows)} excerpts -> {OUT.name}; gold spans: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
