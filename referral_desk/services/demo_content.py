"""Word lists for the demo data set: fictional, but shaped like England and Wales.

Kept apart from `services.demo` so the generator reads as logic and this file as content that a
practitioner can review and extend. Every organisation, service, person, street and phone number
here is invented: phone numbers come from the ranges Ofcom reserves for drama (so dialling one
reaches nobody), web and email addresses use `.example.org.uk`-style domains, and postcodes only
have the right shape for their town.
"""

from __future__ import annotations

# --- the officer using the demo ------------------------------------------------------------

DEMO_OFFICER = {
    "name": "Alex Morgan",
    "team": "Leeds North",
    "office": "Leeds North Probation Office",
    "office_phone": "0113 496 0123",
    "email": "alex.morgan@probation.example.gov.uk",
}

# --- places ----------------------------------------------------------------------------------

# area label -> towns: (town, postcode districts, phone prefix, latitude, longitude)
TOWNS: dict[str, list[tuple[str, tuple[str, ...], str, float, float]]] = {
    "Greater Manchester": [
        (
            "Manchester",
            ("M1", "M4", "M8", "M9", "M11", "M13", "M14", "M40"),
            "0161 496 0",
            53.4808,
            -2.2426,
        ),
        ("Salford", ("M3", "M5", "M6", "M7", "M27", "M30"), "0161 496 0", 53.4875, -2.2901),
        ("Bolton", ("BL1", "BL2", "BL3", "BL4"), "0161 496 0", 53.5769, -2.4282),
        ("Oldham", ("OL1", "OL4", "OL8", "OL9"), "0161 496 0", 53.5409, -2.1114),
        ("Rochdale", ("OL11", "OL12", "OL16"), "0161 496 0", 53.6136, -2.1610),
        ("Stockport", ("SK1", "SK2", "SK3", "SK5"), "0161 496 0", 53.4106, -2.1575),
        ("Wigan", ("WN1", "WN2", "WN3", "WN5"), "0161 496 0", 53.5451, -2.6325),
        ("Ashton-under-Lyne", ("OL6", "OL7"), "0161 496 0", 53.4897, -2.0952),
    ],
    "West Yorkshire": [
        (
            "Leeds",
            ("LS2", "LS6", "LS7", "LS8", "LS9", "LS11", "LS12", "LS14"),
            "0113 496 0",
            53.8008,
            -1.5491,
        ),
        ("Bradford", ("BD1", "BD3", "BD5", "BD7", "BD8", "BD9"), "0113 496 0", 53.7960, -1.7594),
        ("Wakefield", ("WF1", "WF2", "WF4"), "0113 496 0", 53.6830, -1.4977),
        ("Huddersfield", ("HD1", "HD2", "HD3", "HD5"), "0113 496 0", 53.6458, -1.7850),
        ("Halifax", ("HX1", "HX2", "HX3"), "0113 496 0", 53.7248, -1.8658),
        ("Dewsbury", ("WF12", "WF13"), "0113 496 0", 53.6910, -1.6330),
        ("Keighley", ("BD20", "BD21", "BD22"), "0113 496 0", 53.8679, -1.9064),
    ],
    "Wales": [
        (
            "Cardiff",
            ("CF5", "CF10", "CF11", "CF14", "CF23", "CF24"),
            "029 2018 0",
            51.4816,
            -3.1791,
        ),
        ("Swansea", ("SA1", "SA2", "SA5", "SA6"), "029 2018 0", 51.6214, -3.9436),
        ("Newport", ("NP19", "NP20", "NP10"), "029 2018 0", 51.5842, -2.9977),
        ("Wrexham", ("LL11", "LL12", "LL13"), "029 2018 0", 53.0462, -2.9930),
        ("Merthyr Tydfil", ("CF47", "CF48"), "029 2018 0", 51.7487, -3.3816),
        ("Bridgend", ("CF31", "CF32"), "029 2018 0", 51.5043, -3.5769),
        ("Bangor", ("LL57",), "029 2018 0", 53.2274, -4.1293),
    ],
}
MOBILE_PREFIX = "07700 900"
# Letters used in the inward half of a postcode (never C I K M O V).
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

STREETS = [
    "Mill Lane",
    "Victoria Street",
    "Church Road",
    "Station Road",
    "Market Street",
    "Chapel Street",
    "Albert Road",
    "Canal Side",
    "Park View",
    "Queen Street",
    "High Street",
    "Union Street",
    "Brunswick Terrace",
    "Foundry Lane",
    "Spinners Way",
    "Weavers Row",
    "Cooperative Street",
    "Hope Street",
    "Bridge Street",
    "King Edward Street",
    "Wharf Road",
    "Moorside Road",
    "Cross Green Lane",
    "Northgate",
    "Southgate",
    "Westgate",
    "Eastbrook Hall",
]
WELSH_STREETS = [
    "Heol y Frenhines",
    "Stryd Fawr",
    "Heol yr Eglwys",
    "Ffordd y Môr",
    "Heol y Bont",
    "Stryd y Castell",
    "Lôn y Felin",
    "Heol Tâf",
    "Ffordd Penarth",
    "Heol Dŵr",
]
BUILDINGS = [
    "The Hub",
    "Community House",
    "Resource Centre",
    "Enterprise Centre",
    "Old Library",
    "Methodist Hall",
    "Canal Mill",
    "Tŷ Cymorth",
    "The Junction",
    "Riverside Centre",
]
DISTRICT_SUFFIXES = ["Ground floor", "First floor", "Side entrance", "Rear of building", ""]

PRISONS = ["HMP Manchester", "HMP Leeds", "HMP Cardiff", "HMP Styal"]
WOMENS_PRISON = "HMP Styal"
OFFICES = {
    "Greater Manchester": ["Manchester Central", "Salford", "Bolton", "Oldham", "Wigan"],
    "West Yorkshire": ["Leeds North", "Leeds South", "Bradford", "Wakefield", "Huddersfield"],
    "Wales": ["Cardiff", "Swansea", "Newport", "Wrexham", "Merthyr Tydfil"],
}

# --- organisations ------------------------------------------------------------------------

ORG_STEMS = [
    "New Leaf",
    "Open Door",
    "Second Chance",
    "Fresh Start",
    "Bridges",
    "Pathways",
    "Beacon",
    "Compass",
    "Harbour",
    "Phoenix",
    "Stepping Stones",
    "Cornerstone",
    "Way Forward",
    "Threshold",
    "Keystone",
    "Milestone",
    "Springboard",
    "Turning Tide",
    "Northern Lights",
    "Red Kite",
    "Willow",
    "Oak Tree",
    "Riverside",
    "Hillside",
    "Pennine",
    "Calder Valley",
    "Irwell",
    "Aire",
    "Taff",
    "Tawe",
    "Dyfi",
    "Ogmore",
    "Clean Slate",
    "Kinship",
    "Lantern",
    "Safe Harbour",
    "Blue Door",
    "Ladder Up",
    "Hearth",
    "Doorstep",
    "Gateway",
    "Crossing Point",
    "Anchor House",
    "Tŷ Newydd",
    "Cam Nesaf",
    "Drws Agored",
    "Golau",
    "Seren",
    "Haven",
    "Brightside",
]
ORG_KINDS = [
    "Trust",
    "Project",
    "Foundation",
    "CIC",
    "Housing Association",
    "Community Project",
    "Recovery Network",
    "Mentoring",
    "Partnership",
    "Centre",
    "Women's Centre",
    "Advice Centre",
    "Community Interest Company",
    "Society",
    "Alliance",
    "Collective",
]
FAITH_ORGS = [
    "St Aidan's Church Outreach",
    "Bethel Chapel Community Trust",
    "Masjid an-Noor Community Project",
    "Guru Nanak Seva Project",
    "Beth Shalom Community Care",
    "St Cadoc's Parish Project",
    "Capel y Ffynnon Outreach",
    "Al-Huda Family Support",
    "Quaker Meeting House Drop-in",
    "Holy Trinity Night Shelter",
]
ORG_DESCRIPTIONS = [
    "A local charity supporting people in contact with the criminal justice system to rebuild "
    "their lives.",
    "Run by people with lived experience of prison, offering practical help and a listening ear.",
    "Community organisation working alongside probation, prisons and the council since 2009.",
    "Small voluntary group with a strong volunteer team and close links to local services.",
    "Social enterprise reinvesting its income in support for people leaving custody.",
]

# --- services by need category -------------------------------------------------------------

# category code -> (service name stems, description sentences)
CATEGORY_SERVICES: dict[str, tuple[list[str], list[str]]] = {
    "accommodation": (
        [
            "Housing Advice",
            "Supported Housing",
            "Tenancy Sustainment",
            "Move-on Accommodation",
            "Housing First",
            "Rough Sleeper Outreach",
            "Emergency Night Shelter",
            "Landlord Liaison",
        ],
        [
            "Advice and advocacy on homelessness applications, housing benefit and tenancies.",
            "Shared supported houses with a key worker; licence agreements for up to two years.",
            "Help to keep a tenancy going: budgeting, repairs, neighbour disputes and arrears.",
            "Finds private rented rooms and pays bonds for people released without an address.",
        ],
    ),
    "ete": (
        [
            "Employment Support",
            "Skills for Work",
            "CSCS Card Training",
            "Digital Skills Course",
            "Jobs Club",
            "Self-Employment Start-up",
            "Functional Skills English and Maths",
        ],
        [
            "One-to-one employment coaching, CVs and disclosing convictions to employers.",
            "Short accredited courses (construction, warehousing, food hygiene) and interviews.",
            "Basic computer skills, email and online job applications in a friendly group.",
            "Help back into learning, from entry-level English and maths to college courses.",
        ],
    ),
    "finance": (
        [
            "Debt Advice",
            "Benefits and Money Advice",
            "Bank Account Support",
            "Universal Credit Help",
            "Crisis Grants",
            "Fines and Court Costs Advice",
        ],
        [
            "Free, confidential debt advice including priority debts, fines and court costs.",
            "Benefit checks, Universal Credit claims and appeals, including advance payments.",
            "Helps people without ID open a basic bank account before or after release.",
            "Emergency food, fuel and travel grants while a benefit claim is processed.",
        ],
    ),
    "relationships": (
        [
            "Healthy Relationships Programme",
            "Couples Support",
            "Family Mediation",
            "Respectful Relationships Group",
        ],
        [
            "Group and one-to-one work on healthy relationships and communication.",
            "Mediation to rebuild contact with family members, including after a prison sentence.",
            "Support for people whose relationships have been affected by offending.",
        ],
    ),
    "lifestyle": (
        [
            "Positive Activities",
            "Sports and Fitness Project",
            "Community Allotment",
            "Volunteering Pathway",
            "Arts and Music Project",
        ],
        [
            "Structured activities away from old associates: football, gym, boxing and walking.",
            "Volunteering placements that build routine, confidence and references.",
            "Weekly creative sessions: music production, art and writing.",
        ],
    ),
    "drugs": (
        [
            "Drug Treatment Service",
            "Recovery Community",
            "Opiate Substitution Support",
            "Harm Reduction Outreach",
            "Recovery Café",
            "Structured Day Programme",
        ],
        [
            "Assessment, prescribing and key-working for drug use, with same-week appointments.",
            "Peer-led recovery groups and mutual aid meetings in the evenings and at weekends.",
            "Needle exchange, naloxone training and health checks; no appointment needed.",
            "Twelve-week structured day programme for people ready to stop using.",
        ],
    ),
    "alcohol": (
        [
            "Alcohol Treatment Service",
            "Community Detox",
            "Alcohol Recovery Group",
            "Alcohol Brief Interventions",
        ],
        [
            "Alcohol assessment, community detox and relapse prevention.",
            "Weekly recovery group and one-to-one support after detox.",
            "Short alcohol awareness sessions for people on licence or community orders.",
        ],
    ),
    "wellbeing": (
        [
            "Wellbeing Service",
            "Counselling Service",
            "Anxiety and Low Mood Group",
            "Peer Support Wellbeing Hub",
            "Trauma Support",
        ],
        [
            "Talking therapies and wellbeing groups; self-referral welcome.",
            "Up to twelve sessions of counselling with a qualified counsellor.",
            "Trauma-informed support for people with experience of abuse or violence.",
        ],
    ),
    "thinking": (
        ["Thinking Skills Programme", "Problem Solving Group", "Consequential Thinking Sessions"],
        [
            "Group sessions on problem solving, managing impulses and planning ahead.",
            "One-to-one sessions on thinking patterns, delivered with probation.",
        ],
    ),
    "attitudes": (
        ["Victim Awareness Course", "Restorative Justice Service", "Changing Attitudes Group"],
        [
            "Restorative justice meetings and letters between people harmed and those responsible.",
            "Group work on attitudes that support offending, with a certificate on completion.",
        ],
    ),
    "health": (
        [
            "Health Inclusion Service",
            "GP Registration Help",
            "Dental Access Project",
            "Mental Health Liaison",
            "Hepatitis C Testing",
        ],
        [
            "Registers people with a GP and dentist and supports them to first appointments.",
            "Nurse-led clinic for people who find mainstream health services hard to use.",
            "Liaison and diversion support for people with mental health needs.",
        ],
    ),
    "resettlement": (
        [
            "Through the Gate Support",
            "Met at the Gate",
            "Release Day Support",
            "Resettlement Mentoring",
            "ID and Documents Help",
        ],
        [
            "A mentor meets you at the gate and goes with you to probation, the Job Centre and the "
            "council on release day.",
            "Practical help in the weeks before release: ID, bank account, housing and benefits.",
            "Travel warrants, phone credit and a hot meal on the day of release.",
        ],
    ),
    "family": (
        [
            "Families Support Service",
            "Parenting Course",
            "Prison Visits Support",
            "Childcare Support for Women in Treatment",
            "Kinship Carers Group",
        ],
        [
            "Support for prisoners' families: visits, letters, children's contact and wellbeing.",
            "Parenting courses and supervised contact for parents in the justice system.",
            "Funded childcare places so mothers can attend treatment and appointments.",
        ],
    ),
    "bereavement": (
        ["Bereavement Support", "Pre-bereavement Counselling", "Loss and Grief Group"],
        [
            "Counselling and group support after a death, including deaths while in custody.",
            "Support for people expecting the death of someone close, including prison visits.",
        ],
    ),
    "mentoring": (
        [
            "Peer Mentoring",
            "Lived Experience Mentors",
            "Community Connectors",
            "Befriending Service",
        ],
        [
            "Volunteer mentors with lived experience meet weekly for up to six months.",
            "Befrienders help people build new social networks and try local groups.",
        ],
    ),
    "women": (
        [
            "Women's Centre Support",
            "Domestic Abuse Refuge",
            "Sex Work Outreach",
            "Women's Safe Space",
            "Independent Domestic Violence Advocacy",
        ],
        [
            "Women-only centre offering key workers, groups, a crèche and practical support.",
            "Safe accommodation and support for women and children escaping domestic abuse.",
            "Non-judgemental outreach and health support for women involved in sex work.",
        ],
    ),
    "other": (
        [
            "Community Advice Drop-in",
            "Immigration Advice",
            "Veterans Support",
            "Learning Disability Advocacy",
        ],
        [
            "Drop-in advice on anything from letters to forms; signposting to specialist help.",
            "Regulated immigration advice for foreign national people on licence.",
            "Support for armed forces veterans in contact with the justice system.",
        ],
    ),
}
REFUGE_STEM = "Domestic Abuse Refuge"

LANGUAGES_EXTRA = [
    "Polish",
    "Urdu",
    "Punjabi",
    "Arabic",
    "Romanian",
    "Bengali",
    "Kurdish (Sorani)",
    "Tigrinya",
    "Somali",
    "Portuguese",
    "British Sign Language",
    "Mandarin",
]
ACCESSIBILITY = [
    "Step-free access; accessible toilet; hearing loop at reception.",
    "Ground floor rooms; lift to first floor; quiet room available.",
    "First floor, no lift: home or phone appointments offered instead.",
    "Step-free access; large-print and Easy Read leaflets; interpreters booked on request.",
    "Wheelchair accessible; assistance dogs welcome.",
]
OPENING_TIMES = [
    "Mon–Fri 9:30–4:30",
    "Mon–Thu 9–5, Fri 9–4:30",
    "Tue and Thu 10:00–2:00",
    "Mon, Wed, Fri 10–3; drop-in Wed 1–3",
    "24 hours (helpline); office Mon–Fri 9–5",
    "Mon–Fri 8:30–6, Sat 10–1",
    "Evenings Tue–Thu 6–9pm",
]
WHAT_TO_BRING = [
    "Photo ID if you have it; your release licence",
    "Proof of benefits; any letters from the council",
    "Any letters about debts or fines",
    "Your CV if you have one; photo ID",
    "Nothing needed: just come along",
    "Any medication you take; your GP's details",
    "Photo ID; proof of address if you have one",
]
OFFENCE_EXCLUSIONS = [
    ["sexual offences"],
    ["arson"],
    ["sexual offences", "arson"],
    ["violence against staff"],
    ["domestic abuse (perpetrators)"],
    ["hate crime"],
]
RISK_LEVEL_SETS = [["low", "medium"], ["low", "medium", "high"], ["low"]]
PRECHECK_PEOPLE = [
    "Priya Sharma (Partnerships Manager)",
    "Gareth Lloyd (Commissioning Officer)",
    "Joanne Firth (Senior Probation Officer)",
    "Kwame Mensah (Partnerships Manager)",
    "Eleri Rhys (VCS Co-ordinator)",
    "Mark Sutcliffe (Directory Keeper)",
]
ASSURERS = [
    "Priya Sharma",
    "Gareth Lloyd",
    "Eleri Rhys",
    "Mark Sutcliffe",
    "Hannah Okafor",
    "Tom Ackroyd",
]
CONTACT_NAMES = [
    "Sam Patel",
    "Jo Hughes",
    "Chris Walker",
    "Nadia Ahmed",
    "Rhodri Evans",
    "Kelly Booth",
    "Marta Nowak",
    "Femi Adeyemi",
    "Sarah Lewis",
    "Danny Shaw",
    "Ceri Morgan",
    "Aisha Khan",
]

# --- people ------------------------------------------------------------------------------------

# background -> (male given names, female given names, family names[, female family names])
NAME_POOLS: dict[str, tuple[list[str], list[str], list[str], list[str] | None]] = {
    "english": (
        [
            "Jack",
            "Liam",
            "Connor",
            "Daniel",
            "Ryan",
            "Lee",
            "Craig",
            "Darren",
            "Jamie",
            "Kyle",
            "Shaun",
            "Paul",
            "Gary",
            "Nathan",
            "Callum",
            "Stephen",
            "Dean",
            "Mark",
        ],
        [
            "Chloe",
            "Jade",
            "Kirsty",
            "Leanne",
            "Sophie",
            "Emma",
            "Gemma",
            "Stacey",
            "Kayleigh",
            "Amy",
            "Zoë",
            "Lauren",
        ],
        [
            "Smith",
            "Taylor",
            "Brown",
            "Walker",
            "Wright",
            "Robinson",
            "Thompson",
            "Holmes",
            "Sutcliffe",
            "Ackroyd",
            "Hargreaves",
            "Butterworth",
            "Booth",
            "Firth",
            "Shaw",
            "Clarke",
            "Wood",
            "Turner",
            "Ramsbottom",
            "Whitehead",
        ],
        None,
    ),
    "welsh": (
        [
            "Dafydd",
            "Llŷr",
            "Rhys",
            "Gethin",
            "Iwan",
            "Emyr",
            "Aled",
            "Huw",
            "Owain",
            "Gruffydd",
            "Ieuan",
            "Cai",
            "Tomos",
            "Dylan",
        ],
        [
            "Siân",
            "Gwenllïan",
            "Angharad",
            "Cerys",
            "Ffion",
            "Nia",
            "Eleri",
            "Lowri",
            "Mared",
            "Seren",
            "Catrin",
            "Bethan",
        ],
        [
            "Jones",
            "Williams",
            "Davies",
            "Evans",
            "Thomas",
            "Roberts",
            "Hughes",
            "Lewis",
            "Morgan",
            "Griffiths",
            "Pritchard",
            "ap Rhys",
            "Llywelyn",
            "Prys",
            "Vaughan",
            "Bowen",
        ],
        None,
    ),
    "south_asian": (
        [
            "Mohammed",
            "Imran",
            "Arjun",
            "Bilal",
            "Zain",
            "Hamza",
            "Kamran",
            "Rajesh",
            "Sandeep",
            "Gurpreet",
            "Tariq",
            "Asif",
            "Yasir",
        ],
        [
            "Aisha",
            "Fatima",
            "Priya",
            "Noor",
            "Samina",
            "Shazia",
            "Anjali",
            "Harleen",
            "Zainab",
            "Nadia",
            "Simran",
        ],
        [
            "Khan",
            "Hussain",
            "Ahmed",
            "Patel",
            "Akhtar",
            "Iqbal",
            "Shah",
            "Mahmood",
            "Singh",
            "Chaudhry",
            "Rahman",
            "Ali",
            "Uddin",
            "Miah",
            "Sharma",
        ],
        None,
    ),
    "black": (
        [
            "Kwame",
            "Jermaine",
            "Tyrone",
            "Chidi",
            "Emeka",
            "Kofi",
            "Delroy",
            "Abdi",
            "Yusuf",
            "Tunde",
            "Marcus",
            "Leon",
            "Andre",
        ],
        [
            "Abena",
            "Chioma",
            "Ngozi",
            "Shanice",
            "Aaliyah",
            "Amara",
            "Keisha",
            "Hodan",
            "Yetunde",
            "Marcia",
        ],
        [
            "Okafor",
            "Mensah",
            "Campbell",
            "Adeyemi",
            "Boateng",
            "Francis",
            "Mohamed",
            "Osei",
            "Nwosu",
            "Reid",
            "Grant",
            "Asante",
            "Warsame",
            "Farah",
        ],
        None,
    ),
    "polish": (
        ["Łukasz", "Piotr", "Tomasz", "Krzysztof", "Jakub", "Paweł", "Marek"],
        ["Agnieszka", "Magdalena", "Zofia", "Katarzyna", "Ewa", "Małgorzata"],
        ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński"],
        ["Nowak", "Kowalska", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowska", "Zielińska"],
    ),
    "romanian": (
        ["Andrei", "Mihai", "Florin", "Ionuț", "Bogdan"],
        ["Ioana", "Elena", "Andreea", "Mădălina"],
        ["Popescu", "Ionescu", "Constantin", "Dumitru", "Stan", "Munteanu"],
        None,
    ),
    "irish": (
        ["Seán", "Pádraig", "Ciarán", "Michael", "Martin", "John Joe"],
        ["Niamh", "Siobhán", "Aoife", "Bridget", "Mary Kate"],
        ["O'Brien", "McDonagh", "Ward", "Doherty", "O'Connor", "Maughan", "Quinn", "Joyce"],
        None,
    ),
    "iberian_french": (
        ["José", "João", "Jérôme", "Noël", "Andrés"],
        ["Zoë", "Chloë", "Renée", "Anaïs", "Inês"],
        ["Fernandes", "Silva", "García", "Rodrigues", "Moreau", "Lefèvre"],
        None,
    ),
    "arab": (
        ["Omar", "Karim", "Hassan", "Youssef", "Ahmad"],
        ["Yasmin", "Layla", "Rania", "Mariam"],
        ["Haddad", "Al-Sayed", "Mansour", "Abdullah", "Rashid"],
        None,
    ),
    "chinese": (
        ["Wei", "Jun", "Hao", "Ming"],
        ["Mei", "Xiu", "Ling", "Yan"],
        ["Chen", "Wong", "Li", "Zhang", "Lam"],
        None,
    ),
}
# background -> (weight in England, weight in Wales, likely ethnicity codes)
BACKGROUNDS: dict[str, tuple[int, int, list[str]]] = {
    "english": (52, 30, ["white_english_welsh_scottish_northern_irish_or_british"]),
    "welsh": (3, 42, ["white_english_welsh_scottish_northern_irish_or_british"]),
    "south_asian": (
        16,
        6,
        [
            "asian_asian_british_or_asian_welsh_pakistani",
            "asian_asian_british_or_asian_welsh_indian",
            "asian_asian_british_or_asian_welsh_bangladeshi",
            "asian_asian_british_or_asian_welsh_other_asian",
        ],
    ),
    "black": (
        10,
        6,
        [
            "black_black_british_black_welsh_caribbean_or_african_african",
            "black_black_british_black_welsh_caribbean_or_african_caribbean",
            "black_black_british_black_welsh_caribbean_or_african_other_black",
            "mixed_or_multiple_white_and_black_caribbean",
            "mixed_or_multiple_white_and_black_african",
        ],
    ),
    "polish": (5, 4, ["white_other_white"]),
    "romanian": (3, 2, ["white_other_white", "white_roma"]),
    "irish": (5, 4, ["white_irish", "white_gypsy_or_irish_traveller"]),
    "iberian_french": (2, 2, ["white_other_white", "mixed_or_multiple_other_mixed_or_multiple"]),
    "arab": (2, 2, ["other_ethnic_group_arab"]),
    "chinese": (2, 2, ["asian_asian_british_or_asian_welsh_chinese"]),
}
# First people of every demo: the names that catch encoding and sorting bugs.
SHOWCASE_PEOPLE: list[tuple[str, str, str, str]] = [
    ("Siân", "Pritchard", "female", "welsh"),
    ("Llŷr", "Evans", "male", "welsh"),
    ("Gwenllïan", "Jones", "female", "welsh"),
    ("Dafydd", "ap Rhys", "male", "welsh"),
    ("Zoë", "Clarke", "female", "english"),
    ("José", "Fernandes", "male", "iberian_french"),
    ("Łukasz", "Wiśniewski", "male", "polish"),
]
RELIGIONS = [
    "No religion",
    "Christian",
    "Muslim",
    "Sikh",
    "Hindu",
    "Buddhist",
    "Jewish",
    "Other",
    "Prefer not to say",
    "",
]
RELIGION_WEIGHTS = [40, 30, 10, 2, 2, 1, 1, 2, 4, 8]
CONTACT_PREFERENCES = [
    "Mobile; texts are fine",
    "Mobile, calls only after 10am",
    "Via the probation office only",
    "Letters to approved premises",
    "Through prison offender manager",
    "Email preferred",
    "",
]
CONSENT_SCOPES = [
    "Share with named providers for referrals",
    "Share name, needs and contact details with support services",
    "Share with housing and employment providers only",
]

# --- needs -------------------------------------------------------------------------------------

# category -> (relative frequency, subtypes, descriptions)
NEED_DETAILS: dict[str, tuple[int, list[str], list[str]]] = {
    "accommodation": (
        14,
        ["No fixed abode", "Sofa surfing", "At risk of eviction", ""],
        [
            "No address to go to on release; previous tenancy lost while in custody",
            "Staying with friends short-term; needs settled accommodation",
            "Rent arrears and a notice to quit; wants to keep the tenancy",
        ],
    ),
    "ete": (
        10,
        ["Employment", "Training", "Basic skills", ""],
        [
            "Wants work in construction; needs a CSCS card",
            "Left school without qualifications; interested in a college course",
            "Needs help with CV and disclosing convictions",
        ],
    ),
    "finance": (
        9,
        ["Debt", "Benefits", "No bank account", ""],
        [
            "Universal Credit claim not yet in payment; no money until it is",
            "Court fines and rent arrears; creditors calling",
            "No bank account or photo ID",
        ],
    ),
    "relationships": (
        4,
        ["", "Family conflict"],
        [
            "Relationship breakdown; wants support to manage contact",
            "Conflict with family since release",
        ],
    ),
    "lifestyle": (
        5,
        ["", "Associates"],
        [
            "Spends time with old associates; needs structured activity",
            "Bored and isolated during the day",
        ],
    ),
    "drugs": (
        9,
        ["Opiates", "Crack cocaine", "Cannabis", "Spice", ""],
        [
            "Wants to engage with treatment on release",
            "Using daily; interested in a prescribing service",
            "Recently abstinent; wants recovery support",
        ],
    ),
    "alcohol": (
        7,
        ["", "Dependent drinking"],
        [
            "Drinking daily; offences committed when drunk",
            "Wants support to reduce drinking",
        ],
    ),
    "wellbeing": (
        8,
        ["Anxiety", "Low mood", "Trauma", ""],
        [
            "Low mood and poor sleep; not currently seeing anyone",
            "Anxiety in crowded places; struggles with appointments",
        ],
    ),
    "thinking": (4, [""], ["Acts on impulse; agreed to work on problem solving"]),
    "attitudes": (2, [""], ["Minimises offending; open to victim awareness work"]),
    "health": (
        6,
        ["Physical health", "Mental health", "Dental", ""],
        [
            "Not registered with a GP",
            "Long-term back pain; needs a GP review",
            "Diagnosed with depression; medication ran out in custody",
        ],
    ),
    "resettlement": (
        6,
        ["Met at the gate", "ID", "Travel", ""],
        [
            "Needs someone to meet at the gate and help with release-day appointments",
            "No ID; needs birth certificate for benefit claim",
        ],
    ),
    "family": (
        4,
        ["Child contact", "Childcare", "Prisoners' families", ""],
        [
            "Wants to re-establish contact with children",
            "Childcare needed to attend treatment appointments",
        ],
    ),
    "bereavement": (
        2,
        ["Bereavement", "Pre-bereavement"],
        [
            "Mother died while in custody; could not attend the funeral",
            "Father terminally ill",
        ],
    ),
    "mentoring": (4, [""], ["Few positive people around; would like a mentor"]),
    "women": (
        5,
        ["Domestic abuse", "Sex work", ""],
        [
            "Experiencing domestic abuse from ex-partner; needs a safety plan",
            "Involved in sex work; wants health and exit support",
        ],
    ),
    "other": (
        1,
        ["Immigration", "Veteran", ""],
        [
            "Immigration status unclear; needs regulated advice",
            "Armed forces veteran; interested in veterans' support",
        ],
    ),
}

# --- referral history notes -------------------------------------------------------------------

CHASE_NOTES = [
    "Chased by phone: provider still assessing",
    "Emailed provider; referral received and allocated",
    "Left voicemail; provider called back to confirm receipt",
    "Provider says assessment booked for next week",
]
ATTENDED_NOTES = [
    "Attended first appointment",
    "Attended; provider reports good engagement",
    "Attended late but stayed for the full session",
]
MISSED_NOTES = [
    "Did not attend; provider offering one more date",
    "Missed appointment; person says they forgot",
]
REVIEW_NOTES = [
    "Provider reports good attendance; engaging well",
    "Attended 3 of 4 sessions; support plan reviewed",
    "Progress slow; agreed an extra key-work session",
    "Reviewed with person and provider; on track",
    "Some missed sessions; provider will keep place open",
]
PRE_RELEASE_NOTES = [
    "Accommodation confirmed for release day; release plan shared",
    "Met at the gate arranged; benefits appointment booked",
    "Checked open referrals with providers; all aware of release date",
]
CUSTOM_FOLLOW_UPS = [
    "Check housing benefit claim has been processed",
    "Ring GP surgery about registration",
    "Confirm ID documents have arrived",
    "Ask provider for attendance letter for court",
]
OUTCOME_NOTES = {
    "achieved": [
        "Moved into own tenancy",
        "Completed course and started work",
        "Completed programme; abstinent for 3 months",
        "Debts consolidated; budget in place",
    ],
    "partly_achieved": [
        "Completed most sessions; still needs support with budgeting",
        "Reduced use; will continue with recovery group",
        "Found temporary accommodation only",
    ],
    "not_achieved": [
        "Disengaged after two sessions",
        "Did not complete the course",
        "Returned to previous address; no change",
    ],
}
STATUS_NOTES = {
    "acknowledged": ["Provider confirmed receipt", "Referral received; awaiting assessment"],
    "accepted": ["Accepted; first appointment booked", "Assessed and accepted"],
    "waiting_list": ["Placed on waiting list", "Service full; on waiting list"],
    "declined": ["Provider declined the referral", "Not taken on by the provider"],
    "started": ["Started the service", "First session attended"],
    "completed": ["Provider confirmed completion"],
    "ended_early": ["Provider closed the case", "Ended before completion"],
    "withdrawn": ["Referral withdrawn", "Withdrawn by the officer"],
}
ACCESSIBILITY_NEEDS = [
    "Uses a wheelchair",
    "Needs information in Easy Read",
    "Dyslexic: please phone, not write",
    "Hearing impaired: text or email",
    "Anxious in groups: one-to-one first",
]
AVAILABILITY = [
    "Weekday mornings",
    "Any day except Tuesday (reports to probation)",
    "Afternoons only",
    "Mon–Wed",
    "Flexible",
]
# What an officer might tell a provider when they choose to share risk: practical, minimal.
RISK_NOTES = [
    "Please do not offer lone home visits; meet at your office or a public place.",
    "Not to have contact with children under 18; please book adult-only sessions.",
    "Can become agitated when rushed; a calm, quiet room helps. No incidents at the service.",
    "Exclusion zone covers the city centre north of the river; please use the east site.",
    "Keep away from staff member J. Hart (victim's relative works there); ask for another worker.",
]
APPOINTMENT_PLACES = [
    "At the service",
    "Telephone appointment",
    "At the probation office",
    "Video call",
    "At the prison (legal visits)",
]
