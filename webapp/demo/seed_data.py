"""The demo programme, taken from the seed report (shared/seed/000_f586adbd6586f8eb.txt):
Glasgow City IJB Finance and Audit Committee, 6 September 2017, item 12,
"Services for children and young people in Glasgow May 2017 - report of a joint inspection"."""

PROGRAMME_SLUG = "joint-inspection-children-services-2017"
PROGRAMME_TITLE = "Joint inspection of children's services: staff briefings"
PROGRAMME_SUMMARY = (
    "The joint inspection of services for children and young people in Glasgow "
    "(November 2016 to January 2017) found that services are improving lives and having a "
    "positive impact. Of nine quality indicators, three were evaluated as Very Good, four as "
    "Good and two as Adequate. Inspectors named four areas for improvement, and the HSCP has "
    "drafted an action plan with four improvement areas."
)

# Section 3.2: the evaluated indicators of quality, under their headline questions.
INDICATORS = (
    (
        "How well are the lives of children and young people improving?",
        (
            ("Improvements in the wellbeing of children and young people", "Very Good"),
            ("Impact on children and young people", "Very Good"),
            ("Impact on families", "Good"),
        ),
    ),
    (
        "How well are partners working together to improve the lives of children, young people and families?",
        (
            ("Providing help and support at an early stage", "Good"),
            ("Assessment and responding to risks and needs", "Adequate"),
            ("Planning for individual children and young people", "Adequate"),
            ("Planning and improving services", "Good"),
            ("Participation of children, young people, families and other stakeholders", "Good"),
        ),
    ),
    (
        "How good is the leadership and direction of services for children and young people?",
        (("Leadership of improvement and change", "Very Good"),),
    ),
)

# Section 5.1: areas for improvement.
AREAS_FOR_IMPROVEMENT = (
    "Stable and caring environments are secured for looked after children and young people "
    "through improved care planning",
    "A thorough dynamic assessment of need across the City is matched to the availability of "
    "services across the different localities",
    "Consistently high standards of work are delivered through improved quality assurance processes",
    "Care planning is meaningfully informed by an appropriate assessment of risk and need and "
    "children's plans are regularly reviewed",
)

# Appendix 2: the draft HSCP action plan (improvement area, actions). Progress is blank in the report.
ACTION_PLAN = (
    (
        "Management of Risk",
        "The use of data analysis, the child's plan, chronologies, strengthening reviews and managing "
        "the volume of need. Coordination between midwives and health visitors. A focus on continuity "
        "of care placements. Addressing levels of absconding.",
    ),
    (
        "Strengthening the role of family support and Third Sector",
        "The interface between city wide strategic and local implementation. Again will be absorbed "
        "into our refreshed and renewed Children Service Executive Group (CSEG) family support strategy. "
        "Equity of family support services. Support to Kinship Carers with teenagers. Development of "
        "personalised support.",
    ),
    (
        "Independent Advocacy",
        "Connected to our refreshed family support strategy and utilising both self-directed support and "
        "direct payments. Also highlighting support to parents / carers and improved contact facilities "
        "for Looked After children and their families. Strengthening of LGBTi strategy. Strengthening "
        "advocacy in residential care.",
    ),
    (
        "Reviewing and strengthening governance",
        "Across the single integrated city planning arrangements (CSEG) and locality implementation. "
        "Already in progress following the inspection. Review of CPC and Children's Champions Board. "
        "6 sessions with front line staff.",
    ),
)

# The draft plan's actions, one per point of Appendix 2, with the findings each answers
# (indicator or area-for-improvement titles above). Owners and statuses are illustrative: the
# report leaves progress blank, except that governance review was "already in progress" and
# the sessions with front line staff were held (section 7.1).
ACTION_OWNER = "Children and Families Senior Management Team"
RISK, ASSESSMENT = AREAS_FOR_IMPROVEMENT[3], AREAS_FOR_IMPROVEMENT[1]
ACTIONS = {
    "Management of Risk": (
        ("Use data analysis, the child's plan, chronologies and stronger reviews to manage the volume of need",
         "not_started", ("Assessment and responding to risks and needs", RISK)),
        ("Coordinate the work of midwives and health visitors", "not_started",
         ("Providing help and support at an early stage",)),
        ("Focus on continuity of care placements", "not_started",
         ("Planning for individual children and young people", AREAS_FOR_IMPROVEMENT[0])),
        ("Address levels of absconding", "not_started", ("Assessment and responding to risks and needs",)),
    ),
    "Strengthening the role of family support and Third Sector": (
        ("Absorb the interface between city-wide strategy and local implementation into the refreshed CSEG "
         "family support strategy", "not_started", ("Planning and improving services", ASSESSMENT)),
        ("Make family support services equitable across the city", "not_started", (ASSESSMENT,)),
        ("Support kinship carers with teenagers", "not_started", ("Impact on families",)),
        ("Develop personalised support", "not_started", ("Impact on families",)),
    ),
    "Independent Advocacy": (
        ("Connect advocacy to the family support strategy, using self-directed support and direct payments",
         "not_started", ("Participation of children, young people, families and other stakeholders",)),
        ("Improve support to parents and carers, and contact facilities for looked after children and their "
         "families", "not_started", (AREAS_FOR_IMPROVEMENT[0],)),
        ("Strengthen the LGBTi strategy", "not_started",
         ("Participation of children, young people, families and other stakeholders",)),
        ("Strengthen advocacy in residential care", "not_started",
         ("Participation of children, young people, families and other stakeholders",)),
    ),
    "Reviewing and strengthening governance": (
        ("Review governance across the single city planning arrangements (CSEG) and locality implementation",
         "on_track", ("Leadership of improvement and change", AREAS_FOR_IMPROVEMENT[2])),
        ("Review the Child Protection Committee and the Children's Champions Board", "not_started",
         ("Leadership of improvement and change",)),
        ("Hold 6 sessions with front line staff", "done", ("Leadership of improvement and change",)),
    ),
}

# Section 7.1: six events over three days, then a mop-up session. Venues are illustrative.
LOCALITY_DAYS = (
    ("North East", "North East locality hub", "Main hall, North East locality hub, Glasgow"),
    ("North West", "North West locality hub", "Conference room, North West locality hub, Glasgow"),
    ("South", "South locality hub", "Conference suite, South locality hub, Glasgow"),
)
SESSION_TIMES = (((9, 30), (12, 0)), ((13, 30), (16, 0)))
CAPACITY = 180
MOP_UP = (
    "City-wide",
    "Commonwealth House",
    "Commonwealth House, 32 Albion Street, Glasgow G1 1LH",
)
FACILITATORS = "Children and Families Senior Management Team"
NOTES = (
    "Please arrive ten minutes early. The session covers the inspection findings, the draft action "
    "plan and the transformation work under way, with time for your questions and feedback."
)

# The answers the default form's optional "about you" questions offer. Glasgow's: the product has
# no per-programme setting for them yet, so every default form offers these.
ROLE_GROUPS = (
    "Social work",
    "Health (including health visiting and school nursing)",
    "Education",
    "Police",
    "Third sector",
    "Management",
    "Other",
)
LOCALITIES = ("North East", "North West", "South", "City-wide")
ORGANISATIONS = (
    "Glasgow City Health and Social Care Partnership",
    "Glasgow City Council Education Services",
    "NHS Greater Glasgow and Clyde",
    "Police Scotland",
    "Third sector organisation",
    "Other",
)

