"""The score pictures at a phone's and a laptop's width: the drawing that fits is shown, its text is legible,
and no domain name is cut at the picture's edge."""

import pytest

from tests import committee_world

pytestmark = pytest.mark.seeded(seed=committee_world.build_with_passwords)

# The smallest text drawn, in CSS pixels, and every text's box inside its picture.
MEASURE = """() => Array.from(document.querySelectorAll('.chart__svg')).filter(svg => svg.checkVisibility())
  .map(svg => {
    const box = svg.getBoundingClientRect();
    const texts = Array.from(svg.querySelectorAll('text'));
    return {layout: svg.classList.contains('chart__svg--narrow') ? 'narrow' : 'wide',
            smallest: Math.min(...texts.map(t => t.getBoundingClientRect().height)),
            outside: texts.filter(t => { const r = t.getBoundingClientRect();
                                         return r.left < box.left - 1 || r.right > box.right + 1; })
                          .map(t => t.textContent)};
  })"""


@pytest.mark.parametrize("width, layout", [(390, "narrow"), (1280, "wide")])
def test_the_pictures_are_legible_and_whole_at_each_width(browser, live_server, seeded, width, layout):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail").fill(seeded["emails"]["maya"])
    page.get_by_label("Password").fill(committee_world.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(f"/committee/cycles/{seeded['cycle']}/pictures")
    drawn = page.evaluate(MEASURE)
    context.close()
    assert [d["layout"] for d in drawn] == [layout, layout]  # distribution and agreement
    for picture in drawn:
        assert picture["outside"] == []
        assert picture["smallest"] >= 10  # 11–13 px type; the wide drawing squeezed to a phone drew ~5 px
