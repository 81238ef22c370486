"""What an anonymised export still flags for the organizer, and what it rewrites."""
from forum.services.anonymity import drop_signature, findings


def test_findings_flag_names_addresses_and_signatures_but_not_sentence_starts(app):
    text = ("La Ley 21.364 nos obliga. In Roseau we met Hurricane Maria survivors.\n"
            "Escríbanme a jorge.perez@example.org\nSaludos")
    found = {(f.kind, f.text) for f in findings([(7, text)], ordinary_words={"nos", "obliga"}, known=set())}
    assert ("name", "Hurricane Maria") in found
    assert ("email", "jorge.perez@example.org") in found and ("signature", "Saludos") in found
    assert not any(kind == "name" and ("Ley" in t or "Roseau" in t) for kind, t in found)


def test_a_closing_signature_is_dropped_with_the_authors_name():
    text = "Una idea sobre el tema.\n\nSaludos cordiales,\nJorge Pérez\nMunicipalidad de Lima"
    assert drop_signature(text, ["Jorge Pérez", "Jorge"]) == "Una idea sobre el tema."
    assert drop_signature("Sin firma al final.", ["Jorge"]) == "Sin firma al final."
