"""Every rule a docstring states has a public case and hidden cases; the tables say which."""
import pytest

from autograder.engine import handsons, rules


@pytest.mark.parametrize("module", handsons.names())
def test_every_rule_is_quoted_from_a_docstring_and_has_public_and_hidden_cases(module):
    assert rules.declared(module), f"{module}: grading.RULES is empty"
    assert rules.problems(module) == []


@pytest.mark.parametrize("module", handsons.names())
def test_the_rule_table_is_current(module):
    path = rules.table_path(module)
    assert path.is_file() and path.read_text() == rules.table_markdown(module), \
        f"{path} is stale: run `autograder rules --write`"
