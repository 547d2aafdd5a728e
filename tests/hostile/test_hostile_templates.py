"""Every template the app can render is autoescaped, partials included (docs/security.md, requirement 12).

Flask autoescapes by file suffix only (.html, .htm, .xml, .xhtml, .svg): a partial saved as ``_row.jinja`` or
``.txt`` would render user text raw. This lists every template of every blueprint and checks each one.
"""


def test_every_template_is_autoescaped(app):
    names = app.jinja_env.list_templates()
    assert any(name.rsplit("/", 1)[-1].startswith("_") for name in names), "no partials found: wrong loader?"
    raw = [name for name in names if not app.select_jinja_autoescape(name)]
    assert not raw, f"templates rendered without autoescaping (rename them to .html): {raw}"


def test_autoescape_is_not_switched_off_inside_any_template(app):
    offenders = []
    for name in app.jinja_env.list_templates():
        source = app.jinja_env.loader.get_source(app.jinja_env, name)[0]
        if "autoescape false" in source.replace("  ", " ") or "|safe" in source.replace(" ", ""):
            offenders.append(name)
    assert not offenders, f"templates that switch escaping off: {offenders}"
