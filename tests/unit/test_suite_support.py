"""What the suite does to build its test apps faster must not change what they do (docs/development.md, "Tests")."""

from flask import Flask
from werkzeug.routing import AnyConverter, Rule

from tests.conftest import SharedBuilderRule, build_app, close_app


def _value_for(converter) -> object:
    return sorted(converter.items)[0] if isinstance(converter, AnyConverter) else 7


def _urls(app: Flask) -> dict[str, tuple]:
    """Each route's URL built from a value for each of its variables: with unknown values as a query string,
    and without them."""
    urls = {}
    for rule in app.url_map.iter_rules():
        values = {name: _value_for(rule._converters[name]) for name in rule.arguments}
        urls[f"{rule.endpoint} {rule.rule}"] = (
            rule.build({**values, "extra": "a b&c"}),
            rule.build(values, append_unknown=False),
        )
    return urls


def test_every_route_builds_the_same_urls_as_with_werkzeugs_own_compilation(tmp_path, monkeypatch):
    (tmp_path / "shared").mkdir()
    (tmp_path / "own").mkdir()
    shared = build_app(tmp_path / "shared")
    monkeypatch.setattr(Flask, "url_rule_class", Rule)
    own = build_app(tmp_path / "own")
    try:
        assert {type(rule) for rule in shared.url_map.iter_rules()} == {SharedBuilderRule}
        assert {type(rule) for rule in own.url_map.iter_rules()} == {Rule}
        expected = _urls(own)
        assert len(expected) > 50
        assert all(with_extra.endswith("?extra=a+b%26c") for (_, with_extra), _ in expected.values())
        assert _urls(shared) == expected
    finally:
        close_app(shared)
        close_app(own)


def test_two_test_apps_share_each_routes_compiled_builder(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one, two = build_app(tmp_path / "one"), build_app(tmp_path / "two")
    try:
        pairs = list(zip(one.url_map.iter_rules(), two.url_map.iter_rules(), strict=True))
        assert all(a.rule == b.rule and a is not b for a, b in pairs)
        assert all(a._build.__func__ is b._build.__func__ for a, b in pairs)
        assert all(a._build_unknown.__func__ is b._build_unknown.__func__ for a, b in pairs)
    finally:
        close_app(one)
        close_app(two)
