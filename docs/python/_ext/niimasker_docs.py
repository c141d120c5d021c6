"""Sphinx directives that write niimasker's reference from its own declarations.

``.. niimasker-parameters::`` renders every declared parameter (its command
flags, default, choices and help) from ``niimasker_core.params.declarations``;
``.. niimasker-help::`` the ``niimasker -h`` text itself. Neither is copied by
hand, so the reference cannot drift from the command, the JSON config, the
Python keywords and the R arguments, which are all built from the same
declarations.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import Directive


def _flags(param) -> str:
    from niimasker_core.faces.cli import _flag_names

    if param.command == "positional":
        return f"OUTPUT_DIR (first argument; also {', '.join(_flag_names(param))})"
    return ", ".join(_flag_names(param))


def _default(param) -> str:
    if param.default is None:
        return "not set"
    return repr(param.default)


class ParametersDirective(Directive):
    """Every declared parameter as a section: flags, default, choices, help."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return one section per declared parameter."""
        from niimasker_core.params.declarations import PARAMETERS

        out = []
        for param in PARAMETERS:
            section = nodes.section(ids=[f"param-{param.name.replace('_', '-')}"])
            section += nodes.title(text=param.name)
            fields = nodes.field_list()
            for label, value in (
                ("Command", _flags(param)),
                ("Config key, Python keyword, R argument", param.name),
                ("Type", param.annotation),
                ("Default", _default(param)),
                ("Choices", ", ".join(param.choices) if param.choices else ""),
            ):
                if not value:
                    continue
                field = nodes.field()
                field += nodes.field_name(text=label)
                body = nodes.field_body()
                body += nodes.paragraph("", "", nodes.literal(text=value))
                field += body
                fields += field
            section += fields
            section += nodes.paragraph(text=param.help)
            out.append(section)
        return out


class HelpDirective(Directive):
    """The text ``niimasker -h`` prints."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return the help text as a literal block."""
        from niimasker_core.faces.cli import build_parser

        parser = build_parser()
        parser.prog = "niimasker"
        text = parser.format_help()
        return [nodes.literal_block(text, text)]


def setup(app):
    """Register the directives."""
    app.add_directive("niimasker-parameters", ParametersDirective)
    app.add_directive("niimasker-help", HelpDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
