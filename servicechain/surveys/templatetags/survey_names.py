"""Names people read for the item bank's codes: `{{ code|scale_name }}`, `{{ type|answer_type }}`."""

from django import template

from servicechain.surveys.bank import ANSWER_TYPE_NAMES, load_bank

register = template.Library()


@register.filter
def scale_name(code: str) -> str:
    scale = load_bank().scales.get(code)
    return scale.name if scale else code.replace("_", " ").capitalize()


@register.filter
def answer_type(code: str) -> str:
    return ANSWER_TYPE_NAMES.get(code, code)
