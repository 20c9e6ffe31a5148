"""Small helpers shared by the areas' forms."""
from wtforms import SelectChoice


def options(pairs) -> list[SelectChoice]:
    """Choices for a SelectField or RadioField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
