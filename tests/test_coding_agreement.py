"""Two coders: moderators code independently, see their agreement per theme (Cohen's kappa) and
settle the disagreements into the agreed coding."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.models import CoderCode, CodeSettlement, Post, PostTheme, Theme, Thread
from forum.services import agreement, posting
from forum.services.agreement import ThemeAgreement
from tests.conftest import forum_of

JSON = {"Accept": "application/json"}


def test_kappa_is_the_textbook_value(app):
    """Cohen's worked example: 20 both, 5 and 10 one-sided, 15 neither → po 0.70, pe 0.50, κ 0.40."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        _kappas()


def _kappas():
    table = ThemeAgreement(theme=None, both=20, only_a=5, only_b=10, neither=15)
    assert table.units == 50 and table.observed == pytest.approx(0.7) and table.expected == pytest.approx(0.5)
    assert table.kappa == pytest.approx(0.4) and str(agreement.strength(table.kappa)) == "fair"
    assert ThemeAgreement(theme=None, both=6, neither=4).kappa == pytest.approx(1.0)
    assert ThemeAgreement(theme=None, both=10).kappa is None  # one answer from both: chance explains all
    assert ThemeAgreement(theme=None, only_a=5, only_b=5).kappa == pytest.approx(-1.0)
    assert str(agreement.strength(-0.2)) == "poor" and str(agreement.strength(0.9)) == "almost perfect"
    assert str(agreement.strength(0.61)) == "substantial" and agreement.strength(None) is None


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    """Two moderators, a member, and twelve replies to question 1 (six per language)."""
    mónica = make_user("Mónica Moderadora", handle="monica")
    mark = make_user("Mark Moderator", handle="mark", locale="en")
    ana = make_user("Ana Socia", handle="ana")
    community = make_community("red", members={mónica: "moderator", mark: "moderator", ana: "member"})
    pair = make_pair(community, questions=1)
    for position, (code, es, en) in enumerate((("agua", "Agua", "Water"), ("riesgo", "Riesgo", "Risk"),
                                               ("datos", "Datos", "Data"))):
        pair.themes.append(Theme(code=code, label_es=es, label_en=en, position=position))
    db.session.commit()
    replies = []
    for language in ("es", "en"):
        thread = db.session.execute(select(Thread).filter_by(forum_id=forum_of(pair, language).id, position=1)).scalar_one()
        for n in range(6):
            replies.append(posting.reply(ana, thread, f"Respuesta {language} {n}: cuencas, riesgo y datos abiertos."))
    db.session.commit()
    themes = {t.code: t.id for t in pair.themes}
    base = f"/c/{community.slug}/curation"
    return dict(mónica=mónica, mark=mark, ana=ana, pair=pair, replies=[r.id for r in replies], themes=themes,
                base=base, queue=f"{base}/pairs/{pair.id}/queue", page=f"{base}/pairs/{pair.id}/agreement")


# What each coder applies, by reply index: Mónica and Mark agree on some, not on others.
MÓNICA = {0: {"agua"}, 1: {"agua", "riesgo"}, 2: {"riesgo"}, 3: {"datos"}, 4: {"agua"}, 5: {"agua", "datos"},
          6: {"riesgo"}, 7: {"agua"}, 8: {"datos"}, 9: {"riesgo", "datos"}}
MARK = {0: {"agua"}, 1: {"agua"}, 2: {"riesgo"}, 3: {"datos", "agua"}, 4: {"agua"}, 5: {"datos"},
        6: {"riesgo"}, 7: {"riesgo"}, 8: {"datos"}, 10: {"agua"}}


def expected_kappa(code: str) -> float | None:
    """The kappa computed by hand from the two coders' choices above (replies both coded)."""
    both = sorted(set(MÓNICA) & set(MARK))
    a = [code in MÓNICA[i] for i in both]
    b = [code in MARK[i] for i in both]
    n = len(both)
    po = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe == 1 else (po - pe) / (1 - pe)


def code(client, login, world, who, plan):
    login(world[who])
    for index, codes in plan.items():
        for theme in codes:
            url = f"{world['base']}/posts/{world['replies'][index]}/themes/{world['themes'][theme]}"
            answer = client.post(url, data={"value": "1"}, headers=JSON)
            assert answer.status_code == 200, answer.get_json()


def test_two_coders_code_apart_then_settle_their_disagreements(client, db, login, world):
    login(world["ana"])
    assert client.get(world["page"]).status_code == 403
    assert client.post(world["page"] + "/mode", data={"value": "1"}).status_code == 403
    login(world["mónica"])
    page = client.get(world["page"]).get_data(as_text=True)
    assert "La codificación independiente está desactivada" in page and "Cuando dos moderadores" in page
    assert client.post(world["page"] + "/mode", data={"value": "1"}).status_code == 302
    db.session.refresh(world["pair"])
    assert world["pair"].independent_coding

    code(client, login, world, "mónica", MÓNICA)
    first = world["replies"][0]
    again = client.post(f"{world['base']}/posts/{first}/themes/{world['themes']['agua']}", data={"value": "1"}, headers=JSON)
    assert again.get_json()["themes"] == [world["themes"]["agua"]]  # a double submit keeps one code
    code(client, login, world, "mark", MARK)
    assert db.session.scalar(select(func.count(PostTheme.id))) == 0, "independent codes never touch the agreed coding"
    assert db.session.scalar(select(func.count(CoderCode.id))) == sum(map(len, MÓNICA.values())) + sum(map(len, MARK.values()))

    # Each sees only their own codes in the queue.
    marks_queue = client.get(world["queue"] + "?language=es").get_data(as_text=True)
    assert "you see and change only your own codes" in marks_queue
    chunk = marks_queue.split(f'id="post-{world["replies"][1]}"')[1].split("</article>")[0]
    assert chunk.count('aria-pressed="true"') == 1  # Mark gave reply 1 one theme; Mónica gave it two

    # The agreement page, in English for Mark.
    english = client.get(world["page"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "replies coded by both" in english
    shared = len(set(MÓNICA) & set(MARK))
    assert f"<strong>{shared}</strong> replies coded by both" in english
    water = english.split("<th scope=\"row\">Water</th>")[1].split("</tr>")[0]
    assert f"{expected_kappa('agua'):.2f}" in water
    disagreeing = sum(len(MÓNICA[i] ^ MARK[i]) for i in set(MÓNICA) & set(MARK))
    assert f"{disagreeing} disagreements to settle" in english

    # In Spanish the decimal separator is a comma.
    login(world["mónica"])
    spanish = client.get(world["page"]).get_data(as_text=True)
    assert f"{expected_kappa('riesgo'):.2f}".replace(".", ",") in spanish.split("<th scope=\"row\">Riesgo</th>")[1]
    assert f"{disagreeing} desacuerdos por resolver" in spanish

    # Settle two disagreements: reply 1 "riesgo" (Mónica only) applied; reply 3 "agua" (Mark only) left out.
    reply1, reply3 = world["replies"][1], world["replies"][3]
    client.post(world["page"] + "/settle", data={"post": reply1, "theme": world["themes"]["riesgo"], "applied": "1"})
    client.post(world["page"] + "/settle", data={"post": reply3, "theme": world["themes"]["agua"], "applied": "0"})
    agreed = set(db.session.execute(select(PostTheme.post_id, PostTheme.theme_id)).all())
    assert agreed == {(reply1, world["themes"]["riesgo"])}
    assert db.session.scalar(select(func.count(CodeSettlement.id))) == 2
    assert f"{disagreeing - 2} desacuerdos por resolver" in client.get(world["page"]).get_data(as_text=True)

    # The codes both agree on go into the agreed coding once.
    answer = client.post(world["page"] + "/apply", data={}, headers=JSON).get_json()
    both = {i: MÓNICA[i] & MARK[i] for i in set(MÓNICA) & set(MARK) if MÓNICA[i] & MARK[i]}
    assert answer["ok"] and f": {len(both)} " in answer["message"]
    assert client.post(world["page"] + "/apply", data={}, headers=JSON).get_json()["message"].endswith(": 0 respuestas cambiaron.")
    agreed = set(db.session.execute(select(PostTheme.post_id, PostTheme.theme_id)).all())
    expected = {(world["replies"][i], world["themes"][c]) for i, codes in both.items() for c in codes}
    assert agreed == expected | {(reply1, world["themes"]["riesgo"])}

    # The dashboard says it too.
    dashboard = client.get(f"/c/red/moderation/pairs/{world['pair'].id}/dashboard").get_data(as_text=True)
    assert "kappa combinado" in dashboard and "Acuerdo (kappa)" in dashboard


def test_settling_refuses_what_is_not_this_pairs(client, db, login, world, make_pair):
    login(world["mónica"])
    other = make_pair(db.session.merge(world["pair"]).community, questions=1)
    opening = db.session.execute(select(Post).join(Thread).where(Thread.forum_id == forum_of(other, "es").id)).scalars().first()
    refused = client.post(world["page"] + "/settle", headers=JSON,
                          data={"post": opening.id, "theme": world["themes"]["agua"], "applied": "1"})
    assert refused.status_code == 400 and "no está entre las respuestas" in refused.get_json()["message"]
    wrong_theme = client.post(world["page"] + "/settle", headers=JSON,
                              data={"post": world["replies"][0], "theme": "999999", "applied": "1"})
    assert wrong_theme.status_code == 400 and "libro de códigos" in wrong_theme.get_json()["message"]
    assert db.session.scalar(select(func.count(CodeSettlement.id))) == 0
    assert db.session.scalar(select(func.count(PostTheme.id))) == 0


def test_turning_it_off_shows_the_agreed_coding_again(client, db, login, world):
    login(world["mónica"])
    client.post(world["page"] + "/mode", data={"value": "1"})
    code(client, login, world, "mónica", {0: {"agua"}})
    assert 'aria-pressed="true"' in client.get(world["queue"] + "?language=es").get_data(as_text=True).split(
        f'id="post-{world["replies"][0]}"')[1].split("</article>")[0]
    client.post(world["page"] + "/mode", data={"value": "0"})
    chunk = client.get(world["queue"] + "?language=es").get_data(as_text=True).split(
        f'id="post-{world["replies"][0]}"')[1].split("</article>")[0]
    assert 'aria-pressed="true"' not in chunk  # her own code stays in her layer, not in the agreed coding
    log = client.get("/c/red/moderation/log").get_data(as_text=True)
    assert "inició la codificación independiente" in log and "terminó la codificación independiente" in log


def test_the_agreement_page_costs_the_same_queries_whatever_its_size(client, db, login, world, count_queries):
    login(world["mónica"])
    client.post(world["page"] + "/mode", data={"value": "1"})
    counts = []
    for plan_a, plan_b in (({0: {"agua"}}, {0: {"riesgo"}}), (MÓNICA, MARK)):
        code(client, login, world, "mónica", plan_a)
        code(client, login, world, "mark", plan_b)
        with count_queries() as statements:
            assert client.get(world["page"]).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 14, counts


def test_the_agreement_page_takes_bad_input_without_an_error(client, db, login, world):
    login(world["mónica"])
    client.post(world["page"] + "/mode", data={"value": "1"})
    code(client, login, world, "mónica", {0: {"agua"}})
    code(client, login, world, "mark", {0: {"riesgo"}})
    for query in ("?a=abc&b=-1&page=-3", "?a=999999&b=999999&page=99999", "?a=%00&b=x"):
        page = client.get(world["page"] + query, headers={"Accept-Language": "en"})
        assert page.status_code in (200, 400), query
        if page.status_code == 200:
            assert "2 disagreements to settle" in page.get_data(as_text=True), query
    refused = client.post(world["page"] + "/settle", headers=JSON, data={"post": "abc", "theme": "x", "applied": "1"})
    assert refused.status_code == 400 and refused.get_json()["message"]
    assert db.session.scalar(select(func.count(CodeSettlement.id))) == 0
