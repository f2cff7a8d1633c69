"""Pure naming functions: case conversions and English plural/singular forms.

They are the Jinja filters of the template, and are tested directly. English forms come
from the ``inflection`` library (the Rails inflector's rules): it imports in milliseconds,
where ``inflect`` took 2.4 s, most of a render. Words are split at
non-alphanumeric characters and at case changes, keeping acronyms together and digits
with the word before them (``HTTPServer2Config`` -> ``http``, ``server2``, ``config``).
Accented letters are folded to ASCII first (``Café`` -> ``cafe``).
"""

import json
import re
import unicodedata
from functools import lru_cache

import inflection

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")


def _ascii(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(value: str) -> list[str]:
    """Split a name into its lower-case words.

    Args:
        value: Any name: ``"Line Item"``, ``"lineItem"``, ``"line-item"``, ``"HTTPServer"``.

    Returns:
        The words in order, lower-cased; empty when ``value`` has no letters or digits.
    """
    return [word.lower() for word in _WORD.findall(_ascii(value))]


def snake_case(value: str) -> str:
    """Return ``value`` as ``snake_case`` (``"HTTPServer"`` -> ``"http_server"``)."""
    return "_".join(words(value))


def kebab_case(value: str) -> str:
    """Return ``value`` as ``kebab-case`` (``"LineItem"`` -> ``"line-item"``)."""
    return "-".join(words(value))


def pascal_case(value: str) -> str:
    """Return ``value`` as ``PascalCase`` (``"http_server"`` -> ``"HttpServer"``)."""
    return "".join(word.capitalize() for word in words(value))


def camel_case(value: str) -> str:
    """Return ``value`` as ``camelCase`` (``"line_item"`` -> ``"lineItem"``)."""
    pascal = pascal_case(value)
    return pascal[:1].lower() + pascal[1:]


def _restore_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@lru_cache(maxsize=4096)  # pure; asked for the same few names thousands of times per render
def _inflect_last_word(value: str, *, to_plural: bool) -> str:
    matches = list(_WORD.finditer(value))
    if not matches:
        return value
    last = matches[-1]
    word = last.group().lower()
    if not word.isascii() or not any(char.isalpha() for char in word):
        return value
    changed = inflection.pluralize(word) if to_plural else inflection.singularize(word)
    return value[: last.start()] + _restore_case(last.group(), changed) + value[last.end() :]


def plural(value: str) -> str:
    """Return the English plural of a name, inflecting its last word only.

    ``"category"`` -> ``"categories"``, ``"status"`` -> ``"statuses"``,
    ``"LineItem"`` -> ``"LineItems"``, ``"line_item"`` -> ``"line_items"``. The input is
    taken as singular, as entity names are: no English rule tells ``"bus"`` from a plural.
    """
    return _inflect_last_word(value, to_plural=True)


def singular(value: str) -> str:
    """Return the English singular of a name, inflecting its last word only.

    A name that is already singular comes back unchanged (``"task"`` -> ``"task"``,
    ``"status"`` -> ``"status"``).
    """
    return _inflect_last_word(value, to_plural=False)


def quoted(value: str) -> str:
    """Quote a string for a double-quoted literal in JSON, TOML, YAML or Python.

    The JSON escaping is valid in all four, and non-ASCII text stays readable.
    """
    return json.dumps(value, ensure_ascii=False)
