"""Reading the clinic's policy file: YAML in, validated ``ClinicPolicy`` out.

The only module that reads policy files or imports PyYAML; the checks themselves are the pure
``bot.policy_file.validation``. Every failure, from a missing file to a bad value, is a
``PolicyInvalid`` whose errors name what to fix; problems with the file as a whole have the
path ``(file)``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from importlib import resources
from pathlib import Path

import yaml

from bot.policy.clinic import ClinicPolicy
from bot.policy_file.validation import FILE_PATH, PolicyError, PolicyInvalid, parse_policy

DEFAULT_POLICY = "default_policy.yaml"  # packaged next to this module

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key repeated within one mapping.

    Plain YAML loading keeps the last of two ``team:`` (or two ``mon:``) keys and silently drops
    the first; in a policy that is always a mistake worth reporting.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        first_lines: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in first_lines:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first_lines[key]}); give each key once",
                    key_node.start_mark,
                )
            first_lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_policy(path: str | os.PathLike[str] | None = None) -> ClinicPolicy:
    """The validated policy in the YAML file at ``path``; ``None``: the built-in default policy.

    Raises ``PolicyInvalid`` when the file cannot be read, is not YAML, or breaks any rule.
    """
    text = _default_text() if path is None else _read(Path(path))
    policy = parse_policy(_parse_yaml(text))
    return policy if path is None else _feed_files_beside(policy, Path(path).parent)


def _feed_files_beside(policy: ClinicPolicy, folder: Path) -> ClinicPolicy:
    """A calendar feed's relative ``file`` is read from beside the policy file, wherever the bot
    was started."""
    feeds = tuple(
        replace(feed, file=str(folder / feed.file))
        if feed.file is not None and not Path(feed.file).is_absolute() else feed
        for feed in policy.calendars
    )
    return replace(policy, calendars=feeds) if feeds != policy.calendars else policy


def check_policy_file(path: str | os.PathLike[str] | None) -> list[str]:
    """Every error in the policy file at ``path``, one "key: message" line each; [] when valid."""
    try:
        load_policy(path)
    except PolicyInvalid as invalid:
        return [str(error) for error in invalid.errors]
    return []


def _invalid(message: str) -> PolicyInvalid:
    return PolicyInvalid([PolicyError(FILE_PATH, message)])


def _default_text() -> str:
    return resources.files("bot.policy_file").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _invalid(f"no policy file at {path}; check the path") from None
    except IsADirectoryError:
        raise _invalid(f"{path} is a directory; give the path of the policy's YAML file") from None
    except PermissionError:
        raise _invalid(f"cannot read {path}: permission denied") from None
    except UnicodeDecodeError as error:
        raise _invalid(
            f"{path} is not UTF-8 text (bad byte at offset {error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise _invalid(f"cannot read {path}: {error.strerror or error}") from None


def _parse_yaml(text: str) -> object:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        raise _invalid(_describe(error)) from None
    except yaml.YAMLError as error:
        raise _invalid(f"not valid YAML: {error}") from None
    except RecursionError:
        raise _invalid(_TOO_DEEP) from None
    if data is None:
        raise _invalid("the file is empty; a policy needs at least clinic.name and clinic.timezone")
    if _depth(data) > MAX_DEPTH:
        raise _invalid(_TOO_DEEP)
    return data


MAX_DEPTH = 8  # the policy's deepest value (clinic.holidays.extra[0]) is 4 levels down
_TOO_DEEP = (
    f"lists or mappings nest more than {MAX_DEPTH} levels deep, which no policy key does; look "
    "for unclosed brackets or braces"
)


def _depth(data: object) -> int:
    """How many mappings and lists deep ``data`` goes, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        children = (value.values() if isinstance(value, dict)
                    else value if isinstance(value, list) else ())
        if children:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def _describe(error: yaml.MarkedYAMLError) -> str:
    """``invalid YAML at line 4, column 7: mapping values are not allowed here``."""
    mark = error.problem_mark or error.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = error.problem or error.context or "unreadable"
    return f"invalid YAML{where}: {problem}"
