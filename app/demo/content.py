"""The demo cycle as plain data: invented people and organizations, and essays written for the demo.

Every person, organization and e-mail address here is made up (addresses use
the reserved ``.test`` domain). The vignettes and the essay responses were
written for this demo; none comes from a real exam or a real applicant. Rows
use the import columns (README, "Spreadsheet formats") so they go through the ordinary importers.
"""

CYCLE = {"name": "Demo 2026 Spring", "readers": 2, "due_in_days": 28}

# Only these accounts can sign in. Their passwords are public: demo use only.
ACCOUNTS = [
    {
        "email": "coordinator@demo.test",
        "name": "Carla Jensen",
        "role": "coordinator",
        "password": "demo-coordinator-2026",
    },
    {
        "email": "committee@demo.test",
        "name": "Margaret Ellison",
        "role": "committee",
        "password": "demo-committee-2026",
    },
    {
        "email": "committee2@demo.test",
        "name": "Joseph Nakamura",
        "role": "committee",
        "password": "demo-committee2-2026",
    },
    {"email": "reviewer@demo.test", "name": "Rosa Alvarez", "role": "reviewer", "password": "demo-reviewer-2026"},
]

# The reviewer pool. Research/Faculty readers are scarce, as they are in practice.
REVIEWERS = [
    {
        "email": "reviewer@demo.test",
        "name": "Rosa Alvarez",
        "endorsements": "IMHM-C",
        "designations": "C",
        "max_load": 14,
        "organization": "Lakeshore Infant & Family Center",
    },
    {
        "email": "grace.okafor@demo.test",
        "name": "Grace Okafor",
        "endorsements": "IMHM-C; IMHS",
        "designations": "C",
        "max_load": 16,
        "organization": "Northfield Community Mental Health",
    },
    {
        "email": "thomas.lindqvist@demo.test",
        "name": "Thomas Lindqvist",
        "endorsements": "IMHM-C",
        "designations": "C",
        "max_load": 16,
        "organization": "Lindqvist Reflective Consulting",
    },
    {
        "email": "priya.raman@demo.test",
        "name": "Priya Raman",
        "endorsements": "IMHM-C; IMHM-RF",
        "designations": "C; RF",
        "max_load": 16,
        "organization": "Riverside Perinatal Clinic",
    },
    {
        "email": "helen.baptiste@demo.test",
        "name": "Helen Baptiste",
        "endorsements": "IMHM-RF",
        "designations": "RF",
        "max_load": 12,
        "organization": "State University School of Social Work",
    },
    {
        "email": "marcus.feld@demo.test",
        "name": "Marcus Feld",
        "endorsements": "IMHM-RF; IMHM-C",
        "designations": "C; RF",
        "max_load": 14,
        "organization": "Westbrook University",
    },
    {
        "email": "janelle.morrison@demo.test",
        "name": "Janelle Morrison",
        "endorsements": "IMHM-P",
        "designations": "P",
        "max_load": 14,
        "organization": "State Office of Early Childhood Development",
    },
    {
        "email": "samuel.osei@demo.test",
        "name": "Samuel Osei",
        "endorsements": "IMHM-P; ECMHM-P",
        "designations": "P",
        "max_load": 14,
        "organization": "Kids First Coalition",
    },
    {
        "email": "linh.tran@demo.test",
        "name": "Linh Tran",
        "endorsements": "ECMHM-P",
        "designations": "P",
        "max_load": 12,
        "organization": "Harbor Early Learning Network",
    },
    {
        "email": "beatrice.coleman@demo.test",
        "name": "Beatrice Coleman",
        "endorsements": "IMHS",
        "designations": "",
        "max_load": 16,
        "organization": "Northfield Community Mental Health",
    },
    {
        "email": "diego.serrano@demo.test",
        "name": "Diego Serrano",
        "endorsements": "IMHS; ECMHS",
        "designations": "",
        "max_load": 16,
        "organization": "Sunrise Early Head Start",
    },
    {
        "email": "annmarie.kowalski@demo.test",
        "name": "Ann-Marie Kowalski",
        "endorsements": "IMHM-C",
        "designations": "C; P",
        "max_load": 14,
        "organization": "Lakeshore Infant & Family Center",
    },
    # Enough Research/Faculty and Policy Mentors that no one reads both an applicant's portfolio and essays.
    {
        "email": "naomi.achterberg@demo.test",
        "name": "Naomi Achterberg",
        "endorsements": "IMHM-RF",
        "designations": "RF",
        "max_load": 12,
        "organization": "Pinecrest College Department of Human Development",
    },
    {
        "email": "kwame.asante@demo.test",
        "name": "Kwame Asante",
        "endorsements": "IMHM-RF; IMHM-P",
        "designations": "RF; P",
        "max_load": 12,
        "organization": "Metro Early Childhood Research Collaborative",
    },
    {
        "email": "ruth.castellano@demo.test",
        "name": "Ruth Castellano",
        "endorsements": "IMHM-P",
        "designations": "P",
        "max_load": 12,
        "organization": "Northern Counties Family Policy Network",
    },
]


def _signed(**figures):
    """Portfolio figures with the ethics, agreement and membership lines met unless given."""
    return {"ethics_signed": "yes", "agreement_signed": "yes", "member": "yes", **figures}


# (applicant_id, name, category, organization, advisor e-mail, days before loading it was submitted,
#  Part 1 percent, portfolio figures, portfolio summary)
_APPLICANTS = [
    # --- Infant Mental Health Specialist, and two Early Childhood Specialists
    (
        "D26-001",
        "Hannah Whitaker",
        "IMHS",
        "Northfield Community Mental Health",
        "l.moreno@advisors.demo.test",
        84,
        81.7,
        _signed(training_hours=84, rsc_hours=62, work_years=3.5, references_received=3),
        "Infant–parent psychotherapist on a community mental health 0–5 team for three and a half years, "
        "mostly dyadic work with parents in early recovery. Weekly group RS/C with an endorsed Mentor – Clinical.",
    ),
    (
        "D26-002",
        "Luis Carrera",
        "IMHS",
        "Sunrise Early Head Start",
        "l.moreno@advisors.demo.test",
        80,
        78.3,
        _signed(training_hours=96, rsc_hours=54, work_years=4, references_received=3),
        "Home visitor and later family mental health specialist in an Early Head Start program serving "
        "farmworker families; bilingual (Spanish/English) and leads the program's parent groups.",
    ),
    (
        "D26-003",
        "Aisha Rahman",
        "IMHS",
        "Hope Valley Pediatrics",
        "grace.okafor@demo.test",
        77,
        86.7,
        _signed(training_hours=118, rsc_hours=70, work_years=3, references_received=3),
        "Behavioral health clinician integrated in a pediatric primary care practice; sees parents and "
        "babies together from the newborn visit onward and screens for perinatal depression.",
    ),
    (
        "D26-004",
        "Megan O'Connell",
        "IMHS",
        "County Health Department Nurse Home Visiting",
        "r.adeyemi@advisors.demo.test",
        75,
        80.0,
        _signed(training_hours=64, rsc_hours=48, work_years=2.5, references_received=3),
        "Public health nurse home visitor for first-time mothers, with a growing caseload of infants in "
        "kinship care. RS/C log shows 48 hours over 22 months; two further sessions are scheduled.",
    ),
    (
        "D26-005",
        "Tobias Engel",
        "IMHS",
        "Family Connections Home Visiting",
        "reviewer@demo.test",
        73,
        83.3,
        _signed(training_hours=90, rsc_hours=58, work_years=2, references_received=3),
        "Relationship-based home visitor for families referred by child welfare; one year of graduate "
        "internship under an endorsed supervisor counted toward the work requirement.",
    ),
    (
        "D26-006",
        "Keisha Brown",
        "IMHS",
        "Lakeshore Infant & Family Center",
        "r.adeyemi@advisors.demo.test",
        70,
        88.3,
        _signed(training_hours=132, rsc_hours=76, work_years=5, references_received=3),
        "Five years of infant–parent psychotherapy, including parent–child groups for families after NICU "
        "stays; co-leads her center's training on observation for new clinicians.",
    ),
    (
        "D26-007",
        "Daniel Yoon",
        "IMHS",
        "Children's Therapy Associates",
        "s.kimura@advisors.demo.test",
        68,
        76.7,
        _signed(training_hours=41, rsc_hours=52, work_years=2, references_received=2),
        "Occupational therapist moving into relationship-based practice with infants who have feeding "
        "difficulties; the third reference rating had not arrived when the portfolio closed.",
    ),
    (
        "D26-008",
        "Sofia Petrov",
        "IMHS",
        "Northfield Community Mental Health",
        "grace.okafor@demo.test",
        66,
        81.7,
        _signed(training_hours=77, rsc_hours=55, work_years=3, references_received=3),
        "Clinician on a perinatal mental health team, working with mothers and babies from the third "
        "trimester through the first year; facilitates a weekly group for parents of premature infants.",
    ),
    (
        "D26-009",
        "Jasmine Holloway",
        "IMHS",
        "Cedar River Family Services",
        "s.kimura@advisors.demo.test",
        64,
        85.0,
        _signed(training_hours=88, rsc_hours=60, work_years=2, references_received=3),
        "Family therapist in a rural agency, seeing infants, toddlers and their parents at home and at a "
        "satellite clinic; works closely with the local tribal family services office.",
    ),
    (
        "D26-010",
        "Rachel Gutierrez",
        "IMHS",
        "Early Steps Infant Program",
        "l.moreno@advisors.demo.test",
        61,
        91.7,
        _signed(training_hours=142, rsc_hours=81, work_years=6, references_received=3),
        "Six years as an early intervention developmental specialist and then infant mental health "
        "clinician; trainer for the regional early intervention network on social-emotional screening.",
    ),
    (
        "D26-011",
        "Brianna Scott",
        "ECMHS",
        "Little Harbor Preschool Consultation Program",
        "r.adeyemi@advisors.demo.test",
        59,
        83.3,
        _signed(training_hours=79, rsc_hours=51, work_years=3, references_received=3),
        "Early childhood mental health clinician seeing three- to five-year-olds and their caregivers, and "
        "consulting to preschool teachers about children at risk of expulsion.",
    ),
    (
        "D26-012",
        "Omar Haddad",
        "ECMHS",
        "Sunrise Early Head Start",
        "s.kimura@advisors.demo.test",
        57,
        80.0,
        _signed(training_hours=70, rsc_hours=50, work_years=2.5, references_received=3, member="no"),
        "Mental health specialist for a Head Start program's three- to five-year-olds and their families. "
        "Association membership lapsed in January; renewal is pending.",
    ),
    # --- Mentor – Clinical
    (
        "D26-013",
        "Natalie Fischer",
        "IMHM-C",
        "Lakeshore Infant & Family Center",
        "m.ostrowski@advisors.demo.test",
        83,
        86.7,
        _signed(
            training_hours=96,
            rsc_training_hours=21,
            work_years=9,
            leadership_years=4,
            rsc_hours=58,
            rsc_hours_about_providing=31,
            references_received=3,
        ),
        "Clinical director of an infant and family center; provides individual and group RS/C to eleven "
        "clinicians and home visitors, and chairs the regional reflective supervision learning circle.",
    ),
    (
        "D26-014",
        "Kevin Mbeki",
        "IMHM-C",
        "Riverbend Community Services",
        "m.ostrowski@advisors.demo.test",
        79,
        81.7,
        _signed(
            training_hours=84,
            rsc_training_hours=16,
            work_years=7,
            leadership_years=3,
            rsc_hours=52,
            rsc_hours_about_providing=26,
            references_received=3,
        ),
        "Supervisor of an infant mental health home visiting team; three years providing RS/C to six home "
        "visitors and consultation to the county's child welfare infant unit.",
    ),
    (
        "D26-015",
        "Laura Chen-Whitman",
        "IMHM-C",
        "Harborview Hospital Perinatal Program",
        "j.whitfield@advisors.demo.test",
        76,
        90.0,
        _signed(
            training_hours=124,
            rsc_training_hours=30,
            work_years=11,
            leadership_years=6,
            rsc_hours=64,
            rsc_hours_about_providing=35,
            references_received=3,
        ),
        "Perinatal psychologist who built a hospital's NICU family support service; provides RS/C to nurses, "
        "social workers and the hospital's infant mental health fellows.",
    ),
    (
        "D26-016",
        "Patricia Doyle",
        "IMHM-C",
        "Northfield Community Mental Health",
        "j.whitfield@advisors.demo.test",
        72,
        78.3,
        _signed(
            training_hours=62,
            rsc_training_hours=15,
            work_years=8,
            leadership_years=3,
            rsc_hours=50,
            rsc_hours_about_providing=25,
            references_received=3,
        ),
        "Team lead on a 0–5 outpatient team; began providing RS/C three years ago and co-facilitates the "
        "agency's new-clinician seminar.",
    ),
    (
        "D26-017",
        "Ernesto Vidal",
        "IMHM-C",
        "Family Connections Home Visiting",
        "thomas.lindqvist@demo.test",
        69,
        83.3,
        _signed(
            training_hours=75,
            rsc_training_hours=15,
            work_years=6,
            leadership_years=3,
            rsc_hours=53,
            rsc_hours_about_providing=18,
            references_received=3,
        ),
        "Program supervisor providing RS/C to eight home visitors. Of the RS/C received, 18 hours are logged as "
        "about the supervision he provides; the log for the final quarter is still missing.",
    ),
    (
        "D26-018",
        "Caroline Ashby",
        "IMHM-C",
        "Lakeshore Infant & Family Center",
        "m.ostrowski@advisors.demo.test",
        65,
        85.0,
        _signed(
            training_hours=101,
            rsc_training_hours=24,
            work_years=10,
            leadership_years=5,
            rsc_hours=57,
            rsc_hours_about_providing=29,
            references_received=3,
        ),
        "Senior infant–parent psychotherapist and reflective consultant to two Early Head Start programs; "
        "teaches a continuing-education course on parallel process.",
    ),
    (
        "D26-019",
        "Monique Fontaine",
        "IMHM-C",
        "Bright Beginnings Early Intervention",
        "j.whitfield@advisors.demo.test",
        62,
        81.7,
        _signed(
            training_hours=88,
            rsc_training_hours=18,
            work_years=8,
            leadership_years=4,
            rsc_hours=55,
            rsc_hours_about_providing=27,
            references_received=3,
        ),
        "Early intervention clinical supervisor providing RS/C to developmental specialists and therapists; "
        "led her program's move to relationship-based intake visits.",
    ),
    (
        "D26-020",
        "Gregory Sandoval",
        "IMHM-C",
        "Sandoval Counseling",
        "m.ostrowski@advisors.demo.test",
        58,
        88.3,
        _signed(
            training_hours=110,
            rsc_training_hours=26,
            work_years=12,
            leadership_years=7,
            rsc_hours=61,
            rsc_hours_about_providing=33,
            references_received=3,
        ),
        "Independent practitioner offering infant–parent psychotherapy and contracted RS/C to three community "
        "agencies; past president of the regional IMH association chapter.",
    ),
    # --- Mentor – Policy, and two Early Childhood Mentors – Policy
    (
        "D26-021",
        "Deborah Klein",
        "IMHM-P",
        "County Early Childhood Council",
        "a.fairbanks@advisors.demo.test",
        81,
        83.3,
        _signed(training_hours=72, work_years=6, leadership_years=5, references_received=3),
        "Director of a county early childhood council; led the county's infant mental health consultation "
        "expansion and testifies regularly before the state legislature's children's committee.",
    ),
    (
        "D26-022",
        "Yolanda Pierce",
        "IMHM-P",
        "United Way of the Lakes Region",
        "a.fairbanks@advisors.demo.test",
        74,
        80.0,
        _signed(training_hours=58, work_years=5, leadership_years=4, references_received=3),
        "Vice president for early childhood at a regional United Way; manages a home visiting funding "
        "collaborative and its shared evaluation.",
    ),
    (
        "D26-023",
        "Hiroshi Tanaka",
        "IMHM-P",
        "State Medicaid Office",
        "a.fairbanks@advisors.demo.test",
        67,
        76.7,
        _signed(training_hours=45, work_years=4, leadership_years=2, references_received=3),
        "Policy analyst in the state Medicaid office's behavioral health unit; drafted the state plan "
        "amendment that covers dyadic treatment for children under six.",
    ),
    (
        "D26-024",
        "Elaine Morrow",
        "IMHM-P",
        "Statewide Home Visiting Alliance",
        "a.fairbanks@advisors.demo.test",
        60,
        88.3,
        _signed(training_hours=96, work_years=9, leadership_years=8, references_received=3),
        "Executive director of a statewide alliance of home visiting programs; built its workforce "
        "credential and its reflective supervision fund.",
    ),
    (
        "D26-025",
        "Tamara Reyes",
        "ECMHM-P",
        "Early Learning Policy Institute",
        "a.fairbanks@advisors.demo.test",
        56,
        85.0,
        _signed(training_hours=48, work_years=5, leadership_years=4, references_received=3),
        "Senior policy fellow writing on preschool expulsion and early childhood mental health consultation; "
        "advised two state agencies on their consultation standards.",
    ),
    (
        "D26-026",
        "Vanessa Boateng",
        "ECMHM-P",
        "Harbor Early Learning Network",
        "a.fairbanks@advisors.demo.test",
        53,
        81.7,
        _signed(training_hours=36, work_years=4, leadership_years=3, references_received=3),
        "Program director for a network of twelve preschool classrooms; introduced a no-expulsion policy "
        "with consultation support and tracks its results.",
    ),
    # --- Mentor – Research/Faculty
    (
        "D26-027",
        "Alan Whitcomb",
        "IMHM-RF",
        "Westbrook University",
        "p.okonkwo@advisors.demo.test",
        78,
        90.0,
        _signed(training_hours=86, work_years=14, leadership_years=10, references_received=3),
        "Professor of human development; studies father–infant relationships and directs a graduate "
        "certificate in infant mental health.",
    ),
    (
        "D26-028",
        "Ingrid Solberg",
        "IMHM-RF",
        "Lakeview State University",
        "p.okonkwo@advisors.demo.test",
        71,
        86.7,
        _signed(training_hours=64, work_years=7, leadership_years=5, references_received=3),
        "Associate professor in a human development department; runs a longitudinal study of toddlers in "
        "kinship care and mentors doctoral students.",
    ),
    (
        "D26-029",
        "Ramon Ortiz",
        "IMHM-RF",
        "Central State University School of Nursing",
        "helen.baptiste@demo.test",
        63,
        83.3,
        _signed(training_hours=52, work_years=5, leadership_years=3, references_received=3),
        "Nursing faculty member teaching perinatal mental health; evaluates a nurse home visiting model's "
        "reflective supervision component.",
    ),
    (
        "D26-030",
        "Fatima Noor",
        "IMHM-RF",
        "Eastbrook College Early Childhood Program",
        "p.okonkwo@advisors.demo.test",
        55,
        80.0,
        _signed(training_hours=40, work_years=4, leadership_years=2, references_received=3),
        "Coordinator of a community college early childhood program; teaches infant and toddler development "
        "and leads a small study of teacher–child relationships.",
    ),
]

APPLICATIONS = [
    {
        "applicant_id": applicant_id,
        "name": name,
        "category": category,
        "email": name.lower().replace("'", "").replace(" ", ".") + "@applicants.demo.test",
        "organization": organization,
        "advisor_email": advisor,
        "submitted_days_ago": days,
        "mc_score": mc_score,
        "portfolio_summary": summary,
        **figures,
    }
    for applicant_id, name, category, organization, advisor, days, mc_score, figures, summary in _APPLICANTS
]

# Declared conflicts (same organization and advisor conflicts are found by the rule itself).
CONFLICTS = [
    {
        "reviewer_email": "thomas.lindqvist@demo.test",
        "applicant_id": "D26-015",
        "reason": "provided the applicant's RS/C in 2023–2024",
    },
    {
        "reviewer_email": "janelle.morrison@demo.test",
        "applicant_id": "D26-022",
        "reason": "was the applicant's direct supervisor until 2024",
    },
    {
        "reviewer_email": "reviewer@demo.test",
        "applicant_id": "D26-004",
        "reason": "co-taught a training series with the applicant in 2025",
    },
    {
        "reviewer_email": "samuel.osei@demo.test",
        "applicant_id": "D26-025",
        "reason": "both serve on the Kids First Coalition board",
    },
    {"reviewer_email": "priya.raman@demo.test", "applicant_id": "D26-028", "reason": "co-author of a 2024 article"},
]

# ---------------------------------------------------------------------------------------------- essays
# Vignettes written for the demo, each with the essay rubric it is scored on.
PROMPTS = {
    "S1": (
        "imhs-essay",
        """\
You are a home visitor in an infant mental health program. Kayla, 19, was referred by her pediatric clinic \
when her son Noah was four months old. During your second visit Noah lies on a blanket facing away from his \
mother, and when she leans in he turns his head and arches. Kayla laughs and says, "See? He doesn't like me. \
He's like that with everybody but his grandma." She tells you she grew up in several foster homes and that \
Noah's father moved out last month. The apartment is tidy, there is formula on the counter, and Kayla says \
she is "fine, just tired."

Describe how you understand what is happening between Kayla and Noah, what you would do in your next few \
visits and why, who else you might involve, and what you notice in yourself as you work with this family.""",
    ),
    "S2": (
        "imhs-essay",
        """\
Ava, 14 months, has lived with a foster mother, Ms. Dunmore, for five months. Her father, Terrence, has \
supervised visits twice a week at the agency and is working toward reunification. Ms. Dunmore tells you that \
after each visit Ava screams when put down, wakes several times a night and refuses her bottle. She says the \
visits are "undoing everything" and asks you to recommend that they stop. The caseworker wants your view \
before the next court review. At the last visit you saw Terrence arrive late, looking anxious; Ava cried at \
first, then played with him on the floor for most of the hour.

Describe how you understand Ava's behavior, how you would work with Ms. Dunmore, Terrence and the caseworker, \
what you would recommend, and how your own reactions might shape your work.""",
    ),
    "S3": (
        "imhs-essay",
        """\
Eli, three and a half, has been asked to leave his child care program after biting two children and throwing \
a chair. He lives with his grandmother, Mrs. Lowry, who has cared for him since his mother, Brittany, entered \
residential treatment for opioid use a year ago. Brittany is now in outpatient care and visits on weekends; \
Mrs. Lowry says Eli is "wild" for two days after each visit. Mrs. Lowry is 64, works part-time, and tells you \
she is exhausted and "too old for this." The child care director says she would consider taking Eli back \
with a plan.

Describe how you understand Eli's behavior, what you would assess, how you would support Mrs. Lowry, Brittany \
and the child care staff, and what this family stirs up in you.""",
    ),
    "C1": (
        "imhm-c-essay",
        """\
You provide reflective supervision to Jenna, a home visitor in her second year. Today she arrives late, says \
she has "nothing much" to bring, and then spends twenty minutes on a family she finds exhausting: a mother \
who cancels visits, answers her phone throughout the sessions, and once left her 10-month-old crying in a crib \
while she talked with Jenna in the kitchen. Jenna wants to close the case because "this mom is never going to \
change," and adds that her agency supervisor told her she needs higher visit numbers this quarter. Jenna \
returned from parental leave two months ago.

Describe how you understand what is happening for Jenna, for the mother and for the baby, how you would use \
this session and the next ones, what you would do about the program's expectations, and what you notice in \
yourself.""",
    ),
    "C2": (
        "imhm-c-essay",
        """\
You are asked to consult to an early intervention team about Lucia, 9 months old, whose weight has fallen \
from the 40th to the 8th percentile since she was six months old. Lucia lives with her father, Mr. Castellano, \
who is her main caregiver while her mother works nights. The team's occupational therapist sees a withdrawn \
father who props the bottle and rarely speaks to Lucia; the service coordinator sees a devoted father who is \
grieving his own mother's recent death and is afraid of being judged. The team is split about whether to \
report to child protective services, and the meeting has become tense.

Describe how you understand the situation for Lucia and her father, how you would guide the team's thinking \
about safety and reporting, how you would help the team members work together, and what you would attend to \
in yourself.""",
    ),
    "P1": (
        "imhm-p-essay",
        """\
Your state's early childhood agency faces a 12 percent cut to its infant and toddler budget next year. A \
proposal before the agency's director would end the state's infant and early childhood mental health \
consultation program for child care centers (now serving 180 centers) and move the savings into 400 \
additional home visiting slots, which legislators see as easier to count. Medicaid pays for some dyadic \
treatment but not for consultation. You lead a statewide program and have been asked to advise the director \
within a month.

Describe how you would analyze the proposal, which laws, funding rules and agency policies bear on the \
decision, how the affected systems and communities would be involved, what you would recommend, and how you \
would show whether your recommendation works.""",
    ),
    "P2": (
        "imhm-p-essay",
        """\
A report to your state's early learning council shows that children under five in state-funded preschool \
programs were suspended or expelled more than 900 times last year, with Black boys and children with \
disabilities removed at several times the rate of other children. A council member proposes a rule banning \
expulsion in all state-funded programs from next fall. Program directors warn that without added support \
their teachers will leave. You have been asked to draft the council's response.

Describe how you understand the problem, which laws, regulations and funding streams apply, how you would \
design and pay for the supports programs need, how you would involve families, teachers and directors, and \
how you would track whether the policy is working and fair.""",
    ),
    "R1": (
        "imhm-rf-essay",
        """\
You teach an infant mental health course in a graduate program and lead a small evaluation of a reflective \
supervision pilot in three home visiting agencies. After one year, staff turnover fell at two agencies and \
rose at the third, and home visitors' self-reported stress did not change. The funder, eager to expand the \
pilot, asks you for a short summary that "highlights the positive results" for a legislative briefing next \
month. Meanwhile Marisol, a doctoral student on your team, tells you that at one agency families were \
enrolled in the family-outcome interviews without a clear explanation that taking part was optional.

Describe how you would interpret and report the findings, what you would do about the consent concern, how \
you would support Marisol and your team, what further study you would propose, and how your own position \
shapes your choices.""",
    ),
}

# Each response is four paragraphs; each paragraph exists in three versions of rising quality
# (1 = weak, 2 = middling, 3 = strong), so responses differ realistically in what they do well.
RESPONSE_PARTS = {
    "S1": [
        (
            "Noah is probably just a fussy baby, and some babies are like that. Kayla is young and does not know "
            "much about babies, so she thinks he doesn't like her. She needs education about infant development. "
            "It could also be that Noah has reflux, which makes babies arch, so that should be ruled out first.",
            "Noah turning away and arching could mean he is overstimulated, or it could be an early sign that the "
            "relationship is not going well. Kayla grew up in foster care, so she probably did not have a secure "
            "attachment herself, and this can be passed down. She is also dealing with the loss of Noah's father. "
            "I think Kayla may be depressed even though she says she is fine.",
            "At four months Noah would usually be seeking his mother's face, so his turning away and arching are "
            "worth taking seriously, though one visit is not enough to call it a pattern. He may be protecting "
            "himself from an interaction that feels too intense or unpredictable, or he may be physically "
            "uncomfortable. Kayla's joke that he \"doesn't like\" her tells me how she reads him: as rejecting her, "
            "which would fit a childhood of moves between foster homes where relationships did not last. Her "
            'partner leaving is another loss, and "fine, just tired" could be covering depression. I hold these '
            "as hypotheses about the relationship, not conclusions about either of them.",
        ),
        (
            "In the next visits I would teach Kayla about baby cues and give her handouts on bonding. I would tell "
            "her to hold Noah more and talk to him more often. If things do not get better in a few weeks I would "
            "refer her to counseling.",
            "Over the next few visits I would watch Kayla and Noah together during feeding and play and point out "
            "the times he does look at her. I would give her information about what babies his age can do, screen "
            "her for depression with a standard tool, and ask the pediatric clinic whether Noah's arching has been "
            "checked. I would keep visits regular so she knows I will come back.",
            "My first goal is to become a reliable presence, so I would keep visits at the same time each week and "
            "let Kayla know I will come back even on hard days. I would observe a feeding and some floor play and "
            "wonder aloud with her what Noah might be telling us, for example noticing when he quiets to her voice "
            "even while looking away. With her agreement I would use a depression screen and ask about sleep, "
            "support and any thoughts of harming herself or the baby, and I would check with the clinic about "
            "reflux or other causes of arching. I would go at her pace, building on moments that go well rather "
            "than correcting her.",
        ),
        (
            "I would contact Noah's grandmother, since Noah likes her better, and she can help Kayla learn what to "
            "do. I would also tell the pediatrician that the mother has attachment problems. Kayla should also go "
            "to a parenting class for young mothers.",
            "I would ask Kayla whether she wants the grandmother involved, since Noah seems comfortable with her. "
            "I would also stay in touch with the pediatric clinic that referred her and find out whether she has "
            "other supports, such as a young parents' group in the area.",
            "I would ask Kayla who she counts on now and whether she would like the grandmother to join a visit, "
            "taking care that this does not confirm her fear that Noah prefers someone else. With her permission I "
            "would tell the referring clinic what I am seeing and ask what they have noticed, so that we give her "
            "one consistent message. If she is depressed, I would help her reach treatment she can actually get "
            "to, ideally a provider who can see her with Noah. I would also ask about Noah's father and whether he "
            "is still part of Noah's life, since his leaving matters to both of them.",
        ),
        (
            "I don't think my own feelings are important here, because the focus should be on the baby. As a "
            "professional I keep my personal feelings out of the home and stay objective, focusing on the goals "
            "of the service plan.",
            "I noticed that I felt sad reading about Kayla's childhood and also protective of Noah. I would want "
            "to be careful that these feelings do not make me take sides. I would talk about this family in "
            "supervision.",
            "I notice a pull to rescue Noah and, at the same time, some irritation at Kayla's laugh, and both "
            "deserve attention. If I side with the baby against the mother, I repeat what Kayla probably knew as a "
            "child: adults judging her. Her joke may be a way of managing hurt, much as my irritation may be a way "
            "of managing my worry. I would bring these reactions to reflective supervision and try to offer Kayla "
            "the steady, curious attention I hope she can then offer Noah.",
        ),
    ],
    "S2": [
        (
            "Ava is upset after visits because seeing her father confuses her. It is clear the visits are harmful "
            "to her, since she was doing well before they started. Children need stability, and going back and "
            "forth between adults is too much for a baby.",
            "Ava's crying, night waking and refusing the bottle after visits show that the visits are stressful "
            "for her. At 14 months she has attachments to both Ms. Dunmore and her father, and being separated "
            "from one and then the other is hard. Her distress does not necessarily mean the visits are bad for "
            "her.",
            "Ava's behavior after visits looks like the protest of a toddler who is attached to more than one "
            "person and keeps losing one of them; at 14 months, every visit ends in a goodbye she cannot make "
            "sense of. What I saw in the visit matters too: she cried at first, then played with her father for "
            "most of the hour, which suggests a relationship she can use. She may show her distress at home "
            "because Ms. Dunmore is the person she trusts most. I would be curious about the handoffs, because the "
            "trouble may lie there rather than in the visits.",
        ),
        (
            "I would recommend that visits be reduced to once a week or stopped until Ava is calmer. Ms. Dunmore "
            "knows Ava best, and the court should listen to her. Terrence should show he is more reliable by "
            "coming on time.",
            "I would not recommend stopping visits. Instead I would suggest calmer handoffs, for example having "
            "Ms. Dunmore bring Ava and stay for a few minutes. I would give Ms. Dunmore ideas for settling Ava "
            "after visits, such as keeping the same bedtime routine. I would observe more visits before giving the "
            "caseworker my opinion.",
            "Before recommending anything I would observe two more visits, including the handoffs, and ask "
            "Ms. Dunmore to log Ava's sleep and feeding across the week so we can see how long the upset lasts. I "
            "would suggest changes that lower the strain on Ava: visits that do not cut into her nap, a short "
            "overlap when Ms. Dunmore and Terrence are both present, and a familiar object that travels with her. For "
            "the caseworker I would describe what I observed and "
            "what the log shows, say what I do not yet know, and recommend that visits continue with these "
            "supports unless a safety concern appears.",
        ),
        (
            "I would tell Terrence that he has to be on time because being late upsets Ava. The caseworker should "
            "be told that the foster mother is worried. I would also let the foster mother know that I agree the "
            "visits are hard on Ava.",
            "I would meet with Ms. Dunmore to hear her worries and let her know that her care is what helps Ava "
            "recover. I would also talk with Terrence about the visits and what he notices about Ava. I would "
            "share my observations with the caseworker.",
            "Ms. Dunmore and Terrence may each see the other as a threat, with Ava caught between them, so I would "
            "try to ease that rivalry. I would acknowledge to Ms. Dunmore how hard the nights "
            "are and how much her comfort matters, and I would ask Terrence what the visits are like for him and "
            "what made him anxious the day he came late, without lecturing him. If both agree, a short joint talk "
            "about Ava's routines could let them share what soothes her. With the caseworker I would be clear "
            "about my role: I speak for Ava's relationships, not for one side.",
        ),
        (
            "I have worked with many foster families and I know how much they do for children, so I understand "
            "Ms. Dunmore's point of view. My job is to give my professional opinion to the court based on what "
            "the foster mother reports.",
            "I notice that I trust Ms. Dunmore more than Terrence, maybe because she is the one describing the "
            "problem. I need to be careful about that and talk it through with my supervisor before I write "
            "anything for the court.",
            "Cases heading to court make me want a firm answer, and I can feel myself leaning toward the foster "
            "mother, whose worry I hear every week, while Terrence is more of a stranger to me. That lean tells me "
            "about my position, not about Ava. I would take it to reflective supervision, with my own feelings "
            "about reunification, so that my report describes what I observed rather "
            "than what I fear. I also wonder whether the split among the adults mirrors Ava's experience of being "
            "pulled between two homes.",
        ),
    ],
    "S3": [
        (
            "Eli is acting out because he does not have enough discipline and structure at home. His mother used "
            "drugs, so he may have problems from that. Children who bite and throw things need clear consequences "
            "so they learn.",
            "Eli's behavior is probably related to the separation from his mother and the stress in his family. "
            "He may not have the words to say how he feels, so he bites and throws things. The visits with his "
            "mother bring up feelings that he cannot handle yet.",
            "Eli's biting and chair throwing look like the behavior of a three-year-old who is overwhelmed and has "
            "not yet found other ways to show it, and the pattern around visits suggests that his mother's comings "
            "and goings stir up longing, anger and confusion. He lived through a major separation at an age when "
            "he depended on her completely, and his grandmother, while devoted, is worn out. I would also want to "
            "rule out other contributors, such as a language delay, poor sleep or hearing loss, and to ask about "
            "prenatal exposure, without letting that history become the whole explanation.",
        ),
        (
            "I would give Mrs. Lowry a behavior chart with stickers and time-outs so Eli learns that biting is not "
            "okay. I would suggest she look for a different child care program that can handle his behavior "
            "better.",
            "I would observe Eli at home and at child care and use a screening tool for his development and "
            "behavior. I would help Mrs. Lowry set up predictable routines, especially around the weekend visits, "
            "and suggest ways to calm him when he is upset. I would work with the child care to make a behavior "
            "plan.",
            "I would begin with an assessment that includes observing Eli at home and in the classroom, a "
            "developmental and social-emotional screen, and a history from Mrs. Lowry and, with consent, from "
            "Brittany. Right away I would help Mrs. Lowry plan the days after visits: a predictable routine, extra "
            "one-to-one time, simple words for what Eli feels, and a way to talk about when his mother will come "
            "again. I would also ask about safety at home and about Mrs. Lowry's health. "
            "If the assessment points that way, I would offer dyadic sessions with Eli and his grandmother, and "
            "later with his mother as her recovery allows.",
        ),
        (
            "The child care director should take Eli back because he needs to be in a program. I would tell the "
            "teachers that he has been through a lot. Brittany should focus on her recovery first before she gets "
            "more involved with Eli.",
            "I would meet with the child care director and teachers to make a plan so Eli can go back. I would ask "
            "Brittany if she wants to be involved in the work. Mrs. Lowry needs support too, so I would tell her "
            "about a grandparents' group.",
            "The director's offer is an opening, so I would meet with her and Eli's teachers, listen to how "
            "frightening his behavior has been for them, and agree on a plan: one consistent adult who greets him, "
            "warnings before transitions, and a shared response when he starts to escalate, with me visiting the "
            "classroom while things settle. I would invite Brittany, with care for her recovery, to share what she "
            "knows soothes Eli and how visits could end more gently. I would also link Mrs. Lowry with support for "
            "kinship caregivers.",
        ),
        (
            "I feel frustrated when parents use drugs and leave their children for grandparents to raise, but I "
            "would not let Mrs. Lowry see that. It is not fair to Eli and it is not fair to his grandmother. I "
            "would keep my feelings to myself and do my job.",
            "This family reminds me of my own grandmother, who raised my cousins, and I feel a lot of sympathy for "
            "Mrs. Lowry. I have to be careful that I do not overlook Brittany because of this.",
            "I feel drawn to Mrs. Lowry and, if I am honest, more guarded toward Brittany, and I know my views "
            "about substance use could make me shut her out just when Eli needs her in the plan. I would bring "
            "this to reflective supervision. I also notice how tired everyone around Eli is, his grandmother, his "
            "teachers and his mother, and how easily that tiredness could turn into giving up on him, which is "
            "exactly what he seems to be testing. Staying steady and curious myself is part of what I can offer "
            "them.",
        ),
    ],
    "C1": [
        (
            "Jenna is burned out and is not doing her job well. The mother in the family is neglectful, because "
            "she leaves the baby crying and uses her phone during visits. It makes sense to close the case if the "
            "mother is not engaged.",
            "Jenna seems overwhelmed, and it may be related to coming back from parental leave. The mother may be "
            "avoiding Jenna because she feels judged. The baby crying in the crib is a concern that needs "
            "attention.",
            "Several stories run in parallel here. Jenna has just come back from parental leave, and a mother who "
            "ignores her crying baby may stir strong feelings in a new parent who has had to leave her own child "
            'to come to work. Her lateness and "nothing much" may be ways of keeping those feelings at a '
            "distance. The mother's cancellations and phone use may be her own way of managing closeness with a "
            "helper, and perhaps with her baby. The baby has the least voice of anyone: a 10-month-old left to cry "
            "while adults talk needs someone to keep him in mind.",
        ),
        (
            "I would tell Jenna that she needs to be more professional and arrive on time. I would agree with her "
            "that the case can be closed if the mother keeps cancelling, and I would remind her of the program's "
            "rules.",
            "In the session I would let Jenna talk about her frustration and ask questions about the family. I "
            "would ask how she is doing since coming back from leave. We could make a plan for the next visit, "
            "such as talking with the mother about the crying.",
            "I would slow the session down, thank Jenna for bringing the family even when she felt she had "
            "nothing, and invite her to describe the moment in the kitchen in detail: what she saw, heard and "
            "felt. I would wonder with her what the baby might have been experiencing and what kept her from going "
            "to him or naming it with the mother. I would ask, gently, how it has been to come back after her "
            "leave, following her lead on how much to share. Before we finish we would agree on how she could "
            "name the baby's crying at the next visit, and on what she will do if it raises a safety concern.",
        ),
        (
            "The agency wants higher visit numbers, so Jenna should spend her time with families who are more "
            "motivated. That is how the program works. I would not get involved with the agency supervisor, "
            "because it is not my role.",
            "I would talk with Jenna about the pressure from her agency supervisor about visit numbers. If it "
            "seems to be affecting the work, I could suggest that she talk to her supervisor about it, or I could "
            "ask to be part of a meeting.",
            "The pressure for visit numbers is real and deserves a response rather than a lecture. I would help "
            "Jenna think about how to talk with her agency supervisor about this family, and, with her permission, "
            "I would raise with program leadership how productivity targets can push staff to close the hardest "
            "cases, which are often the families who need us most. I would keep roles clear, since I am not her "
            "administrative supervisor, but I can help the agency see what its numbers do not show.",
        ),
        (
            "I would keep my own feelings out of it and focus on helping Jenna meet her goals. Supervision should "
            "be about the cases and not about personal issues. If Jenna has personal problems she should get her "
            "own counseling.",
            "I notice that I feel a little impatient with Jenna, and I also worry about the baby. I would think "
            "about where these feelings come from and talk about them with my own consultant.",
            "I notice my own pull to take over, to tell Jenna what to do so the baby is protected, and some "
            "impatience with her wish to close the case. If I act on that, I do to Jenna what she is doing to the "
            "mother, deciding she will not change, and the parallel process runs on down to the baby. I would "
            "bring my reactions to my own reflective consultation and aim to offer Jenna the same patient "
            "curiosity I hope she can offer this mother.",
        ),
    ],
    "C2": [
        (
            "Lucia is losing weight, so this is neglect and it should be reported. The father is not feeding her "
            "properly. The team members who do not want to report are putting the baby at risk.",
            "Lucia's weight loss is serious and could be caused by feeding problems or by the father's depression "
            "after his mother's death. The team has two views of the father and both may be partly true. The main "
            "concern is the baby's health.",
            "Lucia's fall across several percentile lines in three months is a medical concern first, and it needs "
            "a prompt pediatric evaluation for medical causes as well as feeding difficulties. At the same time, a "
            "silent father who props the bottle while grieving his own mother fits with depression, which can "
            "drain the back-and-forth that feeding depends on. The two views in the team are probably both "
            "accurate: he may be devoted and withdrawn at once. Lucia's nutrition and her relationship with her "
            "father are one problem, not two.",
        ),
        (
            "I would tell the team to call child protective services today, because it is better to be safe. "
            "After the report the case can be handled by the caseworker. The team should not have to decide this, "
            "because the law says they must report.",
            "I would remind the team about mandated reporting laws and help them decide whether they have "
            "reasonable suspicion of neglect. Before that I would make sure Lucia sees her doctor soon. If they "
            "decide to report, someone should tell the father.",
            "I would start by separating two questions: what Lucia needs medically this week, and whether the team "
            "has reasonable suspicion of neglect as the law defines it. The first is urgent: a pediatric "
            "appointment within days, with the team's observations shared. On the second, I would walk the team "
            "through facts rather than impressions and remind them that reporting is a duty each mandated reporter "
            "holds, not a vote. If a report is made, I would help them plan how to tell Mr. Castellano and how to "
            "stay involved, so that the report does not end the helping relationship.",
        ),
        (
            "I would tell the occupational therapist that she is right and that the service coordinator is too "
            "close to the family. The team leader should make the final decision. Disagreements in teams are "
            "normal and people should get over them.",
            "I would let each team member share their view without interruption and point out that they all care "
            "about Lucia. I would help them agree on next steps, such as who will talk to the father and who will "
            "contact the doctor.",
            "The split in the team mirrors the two sides of Mr. Castellano, and I would say so, because naming it "
            "can lower the heat. I would give each member a chance to say what they have seen and what worries "
            "them, asking the others to listen for what they agree with. I would then help the team settle on one "
            "plan that holds both views: close monitoring of Lucia's weight, feeding support, a referral for the "
            "father's grief and possible depression, and one named person who keeps in touch with both parents, "
            "including Lucia's mother.",
        ),
        (
            "As the consultant I need to stay neutral and give the team the correct answer. My feelings are not "
            "part of a consultation. I would make sure the team follows the rules and documents the meeting "
            "carefully.",
            "I feel anxious about Lucia's weight, and I can see that the tension in the team affects me too. I "
            "would try to stay calm in the meeting so that I can help them think.",
            "A baby losing weight makes me anxious, and I notice a wish to rescue her quickly, which would put me "
            "on one side of the team's split. I would try to hold that anxiety rather than act it out, so that the "
            "team can think instead of fight. Grief is in the room too, and I would be curious about how Mr. "
            "Castellano's loss touches each of us, myself included. Afterward I would reflect on the meeting with "
            "my own consultant.",
        ),
    ],
    "P1": [
        (
            "Home visiting is a good program and more families would be served, so the proposal makes sense. "
            "Consultation in child care is helpful, but it is harder to measure. Legislators want numbers, and 400 "
            "families is a good number to show them.",
            "Both programs help infants and toddlers, but they reach different children. Mental health "
            "consultation supports teachers so that children are not expelled and classrooms are more responsive, "
            "while home visiting supports parents directly. Cutting consultation would affect many children in "
            "child care who would never be in home visiting.",
            "The proposal treats two programs as interchangeable when they work on different relationships. "
            "Consultation strengthens the adults who care for infants and toddlers many hours a day in child care, "
            "lowers expulsion and supports teachers' own wellbeing, and it reaches children whose families may "
            "never enroll in home visiting. Home visiting supports the parent–child relationship at home. The "
            "question is not which program is better but what the state loses in each setting, and for whom. I would "
            "look at which communities rely on "
            "each program, since the 180 centers are unlikely to serve the same families as the new slots.",
        ),
        (
            "The agency director has the authority to decide how the money is spent. Since Medicaid does not pay "
            "for consultation, it is not a priority for the state. I would follow whatever the director decides.",
            "I would check whether the consultation program is required by a state law or by a federal grant such "
            "as the child care block grant. Home visiting may have its own federal funding rules. Medicaid rules "
            "would also matter, since they pay for some treatment.",
            "I would map the legal and funding ground before advising. Consultation may be paid partly from the "
            "child care block grant's quality money, whose rules limit what any savings can be used for, and new "
            "home visiting slots may draw on federal home visiting funds with their own model and reporting "
            "requirements, so moving money is not simple. I would check whether state statute or the agency's "
            "plan commits it to consultation, and whether Medicaid could cover parts of the work, such as "
            "dyadic services. Ethically, I would be open about any "
            "interest my own program has in the outcome.",
        ),
        (
            "The home visiting programs should hire more staff for the new slots. The consultants could apply for "
            "jobs in home visiting. This would keep people employed and the state would save money.",
            "Ending consultation would affect child care centers, and more children might be expelled, which could "
            "raise costs in other systems like early intervention or special education. Adding home visiting slots "
            "also takes time, because staff have to be hired and trained. I would look at how long it would take "
            "to fill the new slots.",
            "The two programs sit in different systems with different workforces. Ending consultation would pull "
            "support from 180 centers at once, likely raising expulsions and teacher turnover and shifting costs to "
            "early intervention, special education and child welfare. Four hundred new home visiting slots cannot "
            "be filled quickly: hiring, training and reflective supervision take most of a year, so the savings "
            "could sit unspent while services are lost. I would propose a phased plan that protects consultation "
            "in the highest-need communities, pilots Medicaid billing for eligible services, and grows home "
            "visiting where waiting lists show real demand.",
        ),
        (
            "I would recommend the proposal to the director. We could see whether it works by counting how many "
            "families are served in home visiting next year. More families served means the plan worked.",
            "I would recommend keeping at least part of the consultation program and adding fewer home visiting "
            "slots. To see whether it works, I would track expulsions in child care and the number of families in "
            "home visiting. I would write a short memo to the director explaining this.",
            "I would advise the director to reject a straight trade and adopt the phased plan, in a two-page memo "
            "that leads with the decision needed and states the risks of each option plainly. I would propose "
            "measures that show whether children benefit, "
            "not just how many are served: expulsions and teacher turnover in centers that keep or lose "
            "consultation, home visiting enrollment and retention, and what parents and teachers report, broken "
            "down by community so that inequities are visible. I would set a review at six months and say in "
            "advance what result would change the recommendation.",
        ),
    ],
    "P2": [
        (
            "Expulsions happen because some children have behavior problems that teachers cannot manage. A ban "
            "would force programs to keep children who hurt others. Teachers need the right to remove a child who "
            "is dangerous.",
            "Expelling young children is harmful because it interrupts their learning and their relationships with "
            "teachers. The numbers show that some groups of children are removed much more often, which suggests "
            "bias. Young children's behavior is often a way of communicating stress.",
            "Expulsion at this age removes a child from the very relationships that could help them learn to "
            "regulate, and it often follows the child to the next program. The disparities in the report, with "
            "Black boys and children with disabilities removed far more often, point to patterns in how adults "
            "perceive and respond to behavior, not only to differences between children. I would read the data "
            "carefully, asking how expulsion was counted and whether quieter removals, such as shortened days, "
            "are missing, because a ban that ignores them could push removals out of sight.",
        ),
        (
            "The council can make any rule it wants for state-funded programs. Programs that do not follow it would "
            "lose their funding. The rule should start in the fall, as the member proposed.",
            "I would look at the Head Start rules, which already limit expulsion, and at disability laws that "
            "protect children with disabilities. The council would need to know which programs it has authority "
            "over. Some states have already passed laws on this that we could learn from.",
            "Several frameworks already apply. Head Start's program standards prohibit expulsion and require "
            "steps to support a child before any move; disability law, including the ADA and IDEA, requires "
            "reasonable accommodation and, where a child is eligible, evaluation and services; and civil rights "
            "law makes unequal treatment a legal as well as an ethical problem. I would confirm what authority "
            "the council has over each funding stream, review how other states worded their rules and what "
            "exceptions they allowed for immediate safety, and make sure the rule gives families a fair process "
            "and requires a support plan before any change in placement.",
        ),
        (
            "Directors can send teachers to a training on behavior management, which does not need to cost a lot. "
            "Teachers who do not follow the rule could be disciplined. The state should not need to add money "
            "for this.",
            "Programs will need early childhood mental health consultation and training for teachers so they can "
            "manage challenging behavior. The state could use quality funds to pay for this. I would also suggest "
            "a plan for how programs can get help quickly when a child is struggling.",
            "A ban works only with supports in place first. I would propose phasing the rule in over two years "
            "while the state expands early childhood mental health consultation to every funded program, using "
            "child care quality funds, preschool dollars and Medicaid where services qualify, and linking programs "
            "to early intervention and special education. Directors need a rapid-response line for a crisis and "
            "money for substitutes so teachers can attend coaching. I would budget for teacher wellbeing too, "
            "since stressed, underpaid teachers are more likely to see a child as the problem, and to leave.",
        ),
        (
            "I would recommend that the council pass the ban. Programs could report the number of expulsions each "
            "year to show it is working. If the numbers go down, the policy is working.",
            "I would recommend a ban that starts after supports are in place. I would track expulsions and "
            "suspensions by race and disability every year, and ask directors and families about their "
            "experience. The results should be shared with the council.",
            "The council's response should back the goal and set the conditions for success: a ban phased in with "
            "consultation, training and a fair process, written in plain language that families, teachers and "
            "directors can each use. I would bring directors, teachers and families, including families whose "
            "children were expelled, into drafting the rule. To see whether it works and is fair, I would require "
            "programs to report suspensions, expulsions and shortened days by race, sex and disability, check "
            "those data for hidden removals, follow teacher turnover, and review the results in public each "
            "year.",
        ),
    ],
    "R1": [
        (
            "The results show that reflective supervision works, because turnover went down at two of the three "
            "agencies. I would write the summary the funder asked for, since the results are mostly positive. The "
            "third agency probably had other problems.",
            "The results are mixed: turnover fell at two agencies but rose at one, and stress did not change. With "
            "only three agencies it is hard to know whether the pilot caused these changes. I would tell the "
            "funder that the findings are promising but not conclusive.",
            "With three agencies and one year, the data cannot show that the pilot caused the drop in turnover; "
            "local events such as a pay change or a new manager could explain the pattern at any single site, "
            "including the rise at the third. The unchanged stress scores may mean the measure was not sensitive, "
            "or that reflective supervision works through something other than stress, such as feeling less alone "
            "with hard cases. I would report all three sites, the limits of the design and what the findings do "
            "suggest, in plain language, and I would decline to write a summary that leaves out the third agency.",
        ),
        (
            "The consent issue was probably a misunderstanding at the agency. Marisol should not worry about it, "
            "because the interviews are already done. We can be more careful next year.",
            "Families must understand that taking part in research is voluntary. I would check what happened at "
            "the agency and ask the IRB whether the interviews can be used. We should fix the consent process "
            "going forward.",
            "The consent concern comes first, before any report is written. I would pause family interviews at "
            "that agency, find out exactly what families were told, and report the issue to our institutional "
            "review board promptly, following its guidance on whether the data already collected may be used and "
            "whether families should be contacted again. Families receiving home visiting may feel that saying no "
            "could cost them services, so consent has to make the choice unmistakably free and separate from "
            "their care.",
        ),
        (
            "I would tell Marisol that I will handle it. Students should focus on their own work and not on "
            "problems at the agencies. It is the responsibility of the faculty member.",
            "I would thank Marisol for telling me and let her know she did the right thing. I would include her in "
            "the meeting about fixing the consent process so she can learn from it.",
            "Marisol took a risk in raising the concern, and how I respond will show her and the rest of the team "
            "whether speaking up is safe. I would thank her clearly, protect her from any blame from the agency, "
            "and involve her, as far as she wishes, in reviewing the consent procedures, so that she learns how "
            "research ethics work in practice. At the next team meeting I would talk openly about what happened "
            "and what we are changing, and I would ask the agencies' home visitors what would make consent "
            "conversations easier for them.",
        ),
        (
            "I would propose expanding the pilot to more agencies, since the funder wants to. More data will show "
            "that it works. I do not see any conflict in this situation.",
            "For the next study I would suggest more agencies and a comparison group, and measuring outcomes for "
            "families as well as staff. I notice that I want to please the funder because the grant supports my "
            "students, and I need to keep that in mind.",
            "I would propose a larger study with more agencies, a comparison group or staggered start, measures of "
            "reflective capacity and of the quality of home visits, and families' own views, designed with home "
            "visitors and families rather than only for them. I also have to be honest about my position: the "
            "funder pays for my students' positions and I care about reflective supervision, so I have reasons to "
            "want good news. Naming that to myself and to a trusted colleague helps me resist shaping the "
            "findings, and it mirrors what reflective supervision asks of home visitors.",
        ),
    ],
}

# Portfolio records of a few applicants, so the requirement lines are checked from records and show what the
# rules leave out. Dates are days before the demo loads ("ongoing" work has no end date).
PORTFOLIO_RECORDS: dict[str, list[tuple]] = {
    "training": [
        # (applicant_id, hours, title, topic, completed days ago)
        ("D26-004", 24, "Foundations of infant mental health", "general", 640),
        ("D26-004", 18, "Observation of infants and parents", "general", 420),
        ("D26-004", 12, "Perinatal mood disorders", "general", 300),
        ("D26-004", 6, "Culturally responsive home visiting", "dei", 200),
        ("D26-013", 60, "Advanced infant–parent psychotherapy", "general", 900),
        ("D26-013", 15, "Providing reflective supervision", "rsc", 500),
        ("D26-013", 6, "Reflective supervision in groups", "rsc", 260),
        ("D26-013", 3, "Equity in reflective practice", "dei", 120),
    ],
    "rsc": [
        # (applicant_id, hours, provider, provider endorsement, format, about providing, peer, started, ended)
        ("D26-004", 30, "Dr. Elena Vasquez", "IMHM-C", "individual", "no", "no", 680, 330),
        ("D26-004", 12, "Dr. Elena Vasquez", "IMHM-C", "group", "no", "no", 320, 30),
        ("D26-004", 6, "Maria Lund", "", "group", "no", "yes", 400, 350),
        ("D26-013", 34, "Dr. Paul Brandt", "IMHM-C", "individual", "yes", "no", 700, 200),
        ("D26-013", 18, "Dr. Paul Brandt", "IMHM-C", "group", "no", "no", 190, 20),
        ("D26-013", 6, "June Carter", "IMHS", "group", "yes", "no", 400, 380),
    ],
    "references": [
        # (applicant_id, rater, role, endorsement, received days ago)
        ("D26-004", "Carla Jensen", "program supervisor", "IMHS", 40),
        ("D26-004", "Dr. Elena Vasquez", "RS/C provider", "IMHM-C", 38),
        ("D26-004", "Tom Reyes", "colleague", "", 35),
        ("D26-007", "Ruth Abara", "program supervisor", "", 50),
        ("D26-007", "Ben Ito", "colleague", "", 44),
    ],
    "work": [
        # (applicant_id, started days ago, ended days ago or None, role, kind, with infant and parent)
        ("D26-005", 1120, 760, "Graduate intern, infant–parent program", "internship", "yes"),
        ("D26-005", 760, None, "Home visitor", "direct_service", "yes"),
        ("D26-005", 2000, 1500, "Preschool teacher", "direct_service", "no"),
    ],
}

# (item_id, applicant_id, prompt, quality of each paragraph). Item ids are numbered per prompt in an
# order unrelated to the applicants', so an id says nothing about who wrote the essay.
ESSAYS = [
    ("E-0101", "D26-007", "S1", (1, 1, 2, 1)),
    ("E-0102", "D26-002", "S1", (2, 2, 2, 1)),
    ("E-0103", "D26-010", "S1", (3, 3, 3, 2)),
    ("E-0104", "D26-005", "S1", (3, 2, 3, 2)),
    ("E-0105", "D26-001", "S1", (3, 3, 2, 3)),
    ("E-0106", "D26-011", "S1", (2, 3, 2, 2)),
    ("E-0107", "D26-004", "S1", (2, 1, 2, 2)),
    ("E-0108", "D26-008", "S1", (2, 2, 3, 2)),
    ("E-0201", "D26-006", "S2", (3, 3, 3, 3)),
    ("E-0202", "D26-004", "S2", (1, 2, 2, 1)),
    ("E-0203", "D26-001", "S2", (3, 2, 3, 3)),
    ("E-0204", "D26-012", "S2", (2, 2, 1, 2)),
    ("E-0205", "D26-009", "S2", (3, 2, 2, 3)),
    ("E-0206", "D26-007", "S2", (1, 2, 1, 1)),
    ("E-0207", "D26-003", "S2", (3, 3, 3, 2)),
    ("E-0208", "D26-010", "S2", (3, 3, 2, 3)),
    ("E-0301", "D26-008", "S3", (2, 2, 2, 2)),
    ("E-0302", "D26-003", "S3", (3, 3, 3, 3)),
    ("E-0303", "D26-011", "S3", (2, 2, 1, 2)),
    ("E-0304", "D26-006", "S3", (3, 3, 2, 3)),
    ("E-0305", "D26-002", "S3", (2, 3, 2, 2)),
    ("E-0306", "D26-012", "S3", (1, 2, 2, 2)),
    ("E-0307", "D26-005", "S3", (2, 3, 3, 3)),
    ("E-0308", "D26-009", "S3", (3, 3, 2, 2)),
    ("E-0401", "D26-015", "C1", (3, 3, 3, 3)),
    ("E-0402", "D26-016", "C1", (2, 2, 1, 2)),
    ("E-0403", "D26-013", "C1", (3, 3, 2, 3)),
    ("E-0404", "D26-019", "C1", (2, 3, 2, 2)),
    ("E-0405", "D26-020", "C1", (3, 2, 3, 3)),
    ("E-0406", "D26-014", "C1", (2, 2, 2, 2)),
    ("E-0407", "D26-018", "C1", (3, 3, 3, 2)),
    ("E-0408", "D26-017", "C1", (1, 2, 2, 1)),
    ("E-0501", "D26-018", "C2", (3, 2, 3, 3)),
    ("E-0502", "D26-014", "C2", (2, 3, 2, 2)),
    ("E-0503", "D26-020", "C2", (3, 3, 3, 3)),
    ("E-0504", "D26-017", "C2", (2, 1, 2, 2)),
    ("E-0505", "D26-013", "C2", (3, 3, 3, 2)),
    ("E-0506", "D26-016", "C2", (1, 2, 2, 1)),
    ("E-0507", "D26-019", "C2", (2, 2, 3, 2)),
    ("E-0508", "D26-015", "C2", (3, 3, 2, 3)),
    ("E-0601", "D26-024", "P1", (3, 3, 3, 3)),
    ("E-0602", "D26-023", "P1", (2, 1, 2, 1)),
    ("E-0603", "D26-021", "P1", (3, 2, 3, 3)),
    ("E-0604", "D26-022", "P1", (2, 2, 2, 3)),
    ("E-0701", "D26-026", "P2", (2, 3, 2, 2)),
    ("E-0702", "D26-025", "P2", (3, 3, 3, 2)),
    ("E-0801", "D26-030", "R1", (2, 2, 1, 2)),
    ("E-0802", "D26-027", "R1", (3, 3, 3, 3)),
    ("E-0803", "D26-029", "R1", (3, 2, 3, 2)),
    ("E-0804", "D26-028", "R1", (2, 3, 3, 3)),
]

# Reads already scored at the cycle's paper session (imported as scores): reviewer → domain scores in the
# rubric's domain order. Some pairs agree; E-0102, E-0202 and E-0402 are discrepant, for the committee.
PAPER_SESSION_DAYS_AGO = 6
SCORED_READS = [
    ("E-0101", "beatrice.coleman@demo.test", (1, 1, 2, 1, 1, 2)),
    ("E-0101", "diego.serrano@demo.test", (2, 1, 2, 1, 1, 2)),
    ("E-0102", "beatrice.coleman@demo.test", (2, 2, 2, 1, 2, 3)),
    ("E-0102", "grace.okafor@demo.test", (3, 2, 3, 3, 3, 3)),
    ("E-0201", "beatrice.coleman@demo.test", (4, 3, 4, 4, 3, 4)),
    ("E-0201", "thomas.lindqvist@demo.test", (3, 4, 4, 3, 4, 4)),
    ("E-0202", "grace.okafor@demo.test", (2, 2, 2, 2, 2, 3)),
    ("E-0202", "priya.raman@demo.test", (2, 3, 3, 2, 3, 3)),
    ("E-0301", "thomas.lindqvist@demo.test", (2, 3, 2, 2, 2, 3)),
    ("E-0301", "diego.serrano@demo.test", (3, 2, 2, 3, 3, 3)),
    ("E-0401", "grace.okafor@demo.test", (4, 4, 3, 4, 4, 3)),
    ("E-0401", "marcus.feld@demo.test", (3, 4, 4, 4, 3, 4)),
    ("E-0402", "thomas.lindqvist@demo.test", (2, 2, 1, 2, 2, 2)),
    ("E-0402", "priya.raman@demo.test", (3, 3, 3, 3, 3, 3)),
    ("E-0501", "marcus.feld@demo.test", (4, 3, 3, 4, 3, 4)),
    ("E-0501", "grace.okafor@demo.test", (3, 3, 4, 4, 3, 3)),
]
