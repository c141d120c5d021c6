"""Documentation built from the declarations: every parameter, as numpydoc.

The Python API's docstrings hold a ``{parameters}`` line that
:func:`document_parameters` replaces with one numpydoc entry per declared
parameter (its name, type, default and help), so ``help()`` lists every
parameter with the words ``niimasker -h`` prints, and no parameter is
documented by hand twice.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import TypeVar

from .declarations import PARAMETERS, Parameter

__all__ = ["document_parameters", "parameter_entries"]

_F = TypeVar("_F", bound=Callable)

#: The placeholder a docstring holds where the parameters go.
_PLACEHOLDER = "{parameters}"


def _numpydoc_type(annotation: str) -> str:
    """Write a type annotation the numpydoc way (``str | None`` -> ``str, optional``)."""
    parts = [p.strip() for p in annotation.split(" | ")]
    optional = "None" in parts
    words = " or ".join(p for p in parts if p != "None") or "object"
    return f"{words}, optional" if optional else words


def _entry(param: Parameter, indent: str) -> str:
    head = f"{param.name} : {_numpydoc_type(param.annotation)}"
    if param.default is not None:
        head += f", default={param.default!r}"
    body = textwrap.fill(
        param.help,
        width=79,
        initial_indent=indent + "    ",
        subsequent_indent=indent + "    ",
    )
    return f"{indent}{head}\n{body}"


def parameter_entries(
    parameters: Sequence[Parameter] = PARAMETERS, indent: str = "    "
) -> str:
    """Return one numpydoc entry per parameter (name, type, default, help).

    Parameters
    ----------
    parameters : sequence of Parameter
        The declarations to document.
    indent : str
        The docstring's indentation.

    Returns
    -------
    str
        The entries, one after the other.
    """
    return "\n".join(_entry(p, indent) for p in parameters)


def document_parameters(func: _F) -> _F:
    """Fill the ``{parameters}`` line of ``func``'s docstring from the declarations.

    Parameters
    ----------
    func : callable
        A function whose docstring has a line holding only ``{parameters}``.

    Returns
    -------
    callable
        ``func``, its docstring filled.
    """
    lines = (func.__doc__ or "").split("\n")
    for i, line in enumerate(lines):
        if line.strip() == _PLACEHOLDER:
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = parameter_entries(indent=indent)
    func.__doc__ = "\n".join(lines)
    return func
