"""The default letter templates, in our own words: ``python -m app.letters.write_defaults`` writes them into
app/letters/default_templates/ (docs/letters.md, "Templates"); the app reads the written files.

They are built here, not drawn by hand in Word, so their words can be read and
reviewed as text, and so a change to the fields changes every default alike.
"""

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

FOLDER = Path(__file__).parent / "default_templates"

OPENING = {
    "endorse": (
        "We are pleased to tell you that the endorsement committee has decided to endorse you in the "
        "{{ category }} category, after reviewing your application in {{ cycle }}."
    ),
    "revise": (
        "Thank you for applying for endorsement in the {{ category }} category. The endorsement committee "
        "reviewed your application in {{ cycle }} and asks you to revise your portfolio and send it again."
    ),
    "not_endorsed": (
        "Thank you for applying for endorsement in the {{ category }} category. After a careful "
        "review of your application in {{ cycle }}, the endorsement committee has decided not to "
        "endorse you at this time."
    ),
}
CLOSING = {
    "endorse": "Congratulations, and thank you for the care you put into your application.",
    "revise": (
        "Please send the revised portfolio, with what the lines above ask for, to the endorsement "
        "coordinator. If anything in this letter is unclear, the coordinator will gladly go through it "
        "with you."
    ),
    "not_endorsed": (
        "This decision does not prevent you from applying again. The endorsement coordinator can tell "
        "you which parts you would need to complete or take again."
    ),
}
SUBJECT = {
    "endorse": "Your endorsement: {{ decision }}",
    "revise": "Your endorsement application: {{ decision }}",
    "not_endorsed": "Your endorsement application: {{ decision }}",
}


def build(decision: str) -> WordDocument:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    section = document.sections[0]
    section.footer.paragraphs[0].text = "{{ association }} · {{ cycle }} · applicant {{ applicant_id }}"
    section.footer.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER

    heading = document.add_paragraph()
    heading.add_run("{{ association }}").bold = True
    document.add_paragraph("Endorsement committee")
    document.add_paragraph("{{ date }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    address = document.add_paragraph("{{ address }}")
    address.paragraph_format.space_after = Pt(0)
    document.add_paragraph().add_run(SUBJECT[decision]).bold = True
    document.add_paragraph("Dear {{ name }},")
    document.add_paragraph(OPENING[decision])
    document.add_paragraph("The result of each part of your application:")
    document.add_paragraph("{{ parts }}", style="List Bullet")
    if decision != "endorse":
        document.add_paragraph("The requirement lines of your portfolio that are not met:")
        document.add_paragraph("{{ requirements_not_met }}", style="List Bullet")
    document.add_paragraph("The committee's reasons, as recorded on {{ decided_on }}:")
    document.add_paragraph("{{ rationale }}").paragraph_format.left_indent = Pt(18)
    document.add_paragraph(CLOSING[decision])
    document.add_paragraph("With kind regards,\nThe endorsement committee, {{ association }}")
    document.core_properties.title = "Decision letter"
    document.core_properties.author = "Endorsement Review"
    return document


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for decision in OPENING:
        build(decision).save(str(FOLDER / f"{decision}.docx"))
        print(FOLDER / f"{decision}.docx", file=sys.stderr)


if __name__ == "__main__":
    main()
