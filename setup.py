"""Which files the wheel carries (the rest of the metadata is in pyproject.toml).

The shipped rubric packs and migrations stay at the top of the repository
(``rubrics/``, ``migrations/``: the layout users and scripts know). The wheel
maps them into the package as ``app/_shipped/rubrics`` and
``app/_shipped/migrations`` so an installed app finds them from any directory;
``app.shipped.shipped_dir`` resolves either place. docs/operations.md
("Installing") says how to check a built wheel.
"""

from setuptools import find_namespace_packages, setup

SHIPPED = {
    "app._shipped.rubrics": "rubrics",
    "app._shipped.migrations": "migrations",
    "app._shipped.migrations.versions": "migrations/versions",
}

setup(
    packages=find_namespace_packages(include=["app", "app.*"]) + list(SHIPPED),
    package_dir=SHIPPED,
    package_data={
        "app": ["**/templates/**/*", "static/**/*", "letters/default_templates/*.docx", "mail/texts/*.txt"],
        "app._shipped.rubrics": ["*.toml", "associations/*/*.toml"],
        "app._shipped.migrations": ["alembic.ini", "script.py.mako", "README"],
    },
)
