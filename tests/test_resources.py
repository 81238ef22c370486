"""Shared resources: files checked by content, safe downloads, permissions, browsing."""
import io
import zipfile

import pytest

from forum.models import Resource

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def setting(make_user, make_community):
    member, outsider, moderator = make_user(handle="mia"), make_user(handle="out"), make_user(handle="mod")
    community = make_community("red", members={member: "member", moderator: "moderator"})
    return community, member, outsider, moderator


def share(client, community, **fields):
    data = {"title": "Guía de resiliencia", "summary": "Casos replicables", "language": "es",
            "tags": "Caso de estudio, metodología, caso de estudio", "url": ""}
    data.update(fields)
    return client.post(f"/c/{community.slug}/resources/new", data=data, content_type="multipart/form-data")


def test_member_shares_a_pdf_that_downloads_with_safe_headers(client, db, login, setting):
    community, member, _, _ = setting
    login(member)
    response = share(client, community, upload=(io.BytesIO(PDF), "guía <script>.pdf"))
    assert response.status_code == 302
    resource = db.session.execute(db.select(Resource)).scalar_one()
    assert resource.file_type == "application/pdf" and resource.tags == "caso de estudio, metodología"
    assert resource.file_name == "guía script.pdf"
    download = client.get(f"/c/{community.slug}/resources/{resource.id}/download")
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_office_and_image_files_are_recognised_by_content(client, db, login, setting):
    community, member, _, _ = setting
    login(member)
    assert share(client, community, upload=(io.BytesIO(docx_bytes()), "informe.docx")).status_code == 302
    assert share(client, community, title="Mapa", upload=(io.BytesIO(PNG), "mapa.png")).status_code == 302
    types = sorted(r.file_type for r in db.session.execute(db.select(Resource)).scalars())
    assert types == ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "image/png"]


@pytest.mark.parametrize("name,data", [
    ("informe.pdf", b"<html><script>alert(1)</script></html>"),  # a page pretending to be a PDF
    ("script.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ("notas.txt", b"solo texto"),
    ("vacío.pdf", b""),
])
def test_files_that_are_not_what_they_claim_are_refused_and_the_form_is_kept(client, db, login, setting, name, data):
    community, member, _, _ = setting
    login(member)
    response = share(client, community, title="Mi título", upload=(io.BytesIO(data), name))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "no se acepta" in page or "vacío" in page.lower() or "empty" in page.lower()
    assert 'value="Mi título"' in page
    assert db.session.execute(db.select(Resource)).first() is None


def test_a_file_over_the_size_limit_is_refused(app, client, db, login, setting):
    community, member, _, _ = setting
    login(member)
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        response = share(client, community, upload=(io.BytesIO(PDF + b"0" * (1024 * 1024)), "grande.pdf"))
    finally:
        app.config["MAX_UPLOAD_MB"] = 20
    assert response.status_code == 400
    assert "1 MB" in response.get_data(as_text=True)


def test_a_link_needs_http_and_something_must_be_shared(client, db, login, setting):
    community, member, _, _ = setting
    login(member)
    assert "http://" in share(client, community, url="javascript:alert(1)").get_data(as_text=True)
    assert share(client, community).status_code == 400  # neither file nor link
    assert share(client, community, url="https://www.cepal.org/es/ilpes").status_code == 302


def test_resources_are_browsable_and_searchable(client, db, login, setting):
    community, member, _, _ = setting
    login(member)
    share(client, community, title="Planes municipales de riesgo", url="https://example.org/a", tags="riesgo")
    share(client, community, title="Coastal resilience toolkit", language="en", url="https://example.org/b", tags="costas")
    url = f"/c/{community.slug}/resources/"
    page = client.get(url, query_string={"q": "municipales"}).get_data(as_text=True)
    assert "Planes municipales" in page and "Coastal" not in page
    page = client.get(url, query_string={"tag": "costas"}).get_data(as_text=True)
    assert "Coastal" in page and "Planes municipales" not in page
    page = client.get(url, query_string={"language": "en"}).get_data(as_text=True)
    assert "Coastal" in page and "Planes municipales" not in page


def test_outsiders_cannot_add_and_members_only_resources_stay_private(client, db, login, setting, make_community, make_user):
    community, member, outsider, moderator = setting
    login(outsider)
    assert client.get(f"/c/{community.slug}/resources/new").status_code == 403
    client.post("/auth/logout")
    insider = make_user()
    closed = make_community("cerrada", visibility="members", members={insider: "member"})
    login(insider)
    share(client, closed, upload=(io.BytesIO(PDF), "interno.pdf"))
    resource = db.session.execute(db.select(Resource)).scalar_one()
    client.post("/auth/logout")
    login(outsider)
    assert client.get(f"/c/cerrada/resources/{resource.id}/download").status_code == 404
    assert client.get("/c/cerrada/resources/").status_code == 404
    # Someone else's resource id under another community's URL is not found either.
    assert client.get(f"/c/{community.slug}/resources/{resource.id}").status_code == 404


def test_only_the_author_or_a_moderator_removes_a_resource(client, db, login, setting, make_user):
    community, member, _, moderator = setting
    login(member)
    share(client, community, url="https://example.org/x")
    resource = db.session.execute(db.select(Resource)).scalar_one()
    client.post("/auth/logout")
    other = make_user()
    from forum.services.membership import add_member

    add_member(other, community)
    db.session.commit()
    login(other)
    client.post(f"/c/{community.slug}/resources/{resource.id}/delete")
    db.session.refresh(resource)
    assert resource.deleted_at is None
    client.post("/auth/logout")
    login(moderator)
    client.post(f"/c/{community.slug}/resources/{resource.id}/delete")
    db.session.refresh(resource)
    assert resource.deleted_at is not None


def test_an_upload_over_the_request_limit_keeps_what_was_typed(app, client, db, login, setting):
    """The request is refused before it is read (413), yet the form comes back with its fields and why."""
    community, member, outsider, _ = setting
    login(member)
    old = app.config["MAX_UPLOAD_MB"], app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_UPLOAD_MB"], app.config["MAX_CONTENT_LENGTH"] = 1, 1024 * 1024 + 64 * 1024
    try:
        response = share(client, community, title="Mi título «largo»", summary="Un resumen\nen dos líneas",
                         tags="agua, riego", upload=(io.BytesIO(PDF + b"0" * (2 * 1024 * 1024)), "grande.pdf"))
        page = response.get_data(as_text=True)
        assert response.status_code == 413
        assert "El archivo pesa más de 1 MB." in page
        assert 'value="Mi título «largo»"' in page and "Un resumen\nen dos líneas</textarea>" in page
        assert 'value="agua, riego"' in page and 'name="csrf_token"' in page
        client.post("/auth/logout")
        login(outsider)  # someone who may not share here gets the plain page, not the form
        response = share(client, community, upload=(io.BytesIO(PDF + b"0" * (2 * 1024 * 1024)), "grande.pdf"))
        assert response.status_code == 413 and 'name="title"' not in response.get_data(as_text=True)
    finally:
        app.config["MAX_UPLOAD_MB"], app.config["MAX_CONTENT_LENGTH"] = old
    assert db.session.execute(db.select(Resource)).first() is None
