"""The answer form of a round or poll: its field names, defined by templates/committees/_ballot.html
(`q<id>`, `q<id>-comment`, `q<id>-rank-<option id>`), read here into plain replies for the service."""
from forum.models import Round
from forum.services.committees import Reply


def field_name(question_id: int) -> str:
    """The name of a question's field, which the page also uses to place its error."""
    return f"q{question_id}"


def read_replies(round_: Round, formdata) -> dict[int, Reply]:
    """{question id: Reply} from the submitted form (a MultiDict); nothing checked yet."""
    replies = {}
    for question in round_.questions:
        name = field_name(question.id)
        replies[question.id] = Reply(
            chosen=list(formdata.getlist(name)),
            value=formdata.get(name, ""),
            comment=formdata.get(f"{name}-comment") or "",
            ranks={o.id: formdata.get(f"{name}-rank-{o.id}", "") for o in question.options}
            if question.kind == "ranking" else {},
        )
    return replies


def field_errors(errors: dict[int, object]) -> dict[str, str]:
    """The service's errors by question id, as the page places them: by field name."""
    return {field_name(question_id): str(message) for question_id, message in errors.items()}
