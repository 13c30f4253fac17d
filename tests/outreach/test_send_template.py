"""POST /outreach/send with `template_id` and `variables`: the texts come from the template when
absent, variables fill the caller's own placeholders (never a built-in one), and every refusal
is a 422 or 404 that stores and sends nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.outreach.conftest import campaign_with_lead
from tests.outreach.mailserver import MailServer


async def make_template(api: Api, user: str = "user_a", **fields: Any) -> str:
    body = {"name": "Pitch", "subject": "Guest post for {domain}", "body": "Hi {name}, {offer}"}
    response = await api.post("/emails/templates", user=user, json={**body, **fields})
    assert response.status_code == 201, response.text
    template_id: str = response.json()["id"]
    return template_id


async def send_with(api: Api, campaign: dict[str, Any], lead: dict[str, Any], **fields: Any) -> Any:
    payload = {"campaign_id": campaign["id"], "lead_id": lead["id"], **fields}
    return await api.post("/outreach/send", json=payload)


async def attempts(api: Api, campaign: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    return result


async def test_subject_and_body_come_from_the_template(
    mail_api: Api, mail_server: MailServer
) -> None:
    template_id = await make_template(mail_api)
    campaign, lead = await campaign_with_lead(mail_api)
    response = await send_with(
        mail_api,
        campaign,
        lead,
        template_id=template_id,
        variables={"offer": "a {braced} idea, verbatim"},
    )
    assert response.status_code == 200, response.text
    attempt = response.json()
    assert attempt["subject"] == "Guest post for garden.test"
    assert attempt["body"] == "Hi there, a {braced} idea, verbatim"
    [received] = mail_server.messages
    assert received.message["Subject"] == "Guest post for garden.test"
    assert received.text().startswith("Hi there, a {braced} idea, verbatim")


async def test_the_request_texts_win_over_the_template(
    mail_api: Api, mail_server: MailServer
) -> None:
    template_id = await make_template(mail_api)
    campaign, lead = await campaign_with_lead(mail_api)
    response = await send_with(
        mail_api,
        campaign,
        lead,
        template_id=template_id,
        subject="Own subject for {website_title}",
        variables={"offer": "yes?"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "Own subject for garden.test"
    assert response.json()["body"] == "Hi there, yes?"
    campaign2, lead2 = await campaign_with_lead(mail_api, email="ed@other.test")
    own_body = await send_with(
        mail_api, campaign2, lead2, template_id=template_id, body="Plain {first_name}"
    )
    assert own_body.status_code == 200, own_body.text
    assert own_body.json()["subject"] == "Guest post for other.test"
    assert own_body.json()["body"] == "Plain there"
    assert len(mail_server.messages) == 2


async def test_unknown_placeholders_name_the_valid_ones(
    mail_api: Api, mail_server: MailServer
) -> None:
    template_id = await make_template(mail_api)
    campaign, lead = await campaign_with_lead(mail_api)
    response = await send_with(
        mail_api, campaign, lead, template_id=template_id, variables={"bonus": "x"}
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "unknown_placeholder"
    assert error["loc"] == ["body", "template_id"]  # the text came from the template
    assert "{offer}" in error["msg"]
    # The valid names: the built-in ones and the request's own variables.
    assert "{first_name}" in error["msg"] and "{bonus}" in error["msg"]
    own = await send_with(mail_api, campaign, lead, subject="Hi {nope}", body="b")
    assert own.status_code == 422 and own.json()["detail"][0]["loc"] == ["body", "subject"]
    assert await attempts(mail_api, campaign) == [] and mail_server.messages == []


async def test_variables_cannot_redefine_built_in_placeholders(
    mail_api: Api, mail_server: MailServer
) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    for variables in ({"first_name": "Boss"}, {"topic": "x"}, {"sender_email": "a@b.test"}):
        response = await send_with(
            mail_api, campaign, lead, subject="Hi", body="Hi {first_name}", variables=variables
        )
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "variables"]
        assert "{" + next(iter(variables)) + "}" in error["msg"]
    assert await attempts(mail_api, campaign) == [] and mail_server.messages == []


async def test_bad_variables_are_422(mail_api: Api, mail_server: MailServer) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    for variables in (
        {"offer": 5},
        {"not a name": "x"},
        {"offer": "a\x00b"},
        ["offer"],
        {f"v{i}": "x" for i in range(51)},
        {"offer": "x" * 10_001},
    ):
        response = await send_with(
            mail_api, campaign, lead, subject="Hi", body="{offer}", variables=variables
        )
        assert response.status_code == 422, (variables, response.text)
        assert response.json()["detail"][0]["loc"][:2] == ["body", "variables"]
    # A variable that breaks the subject into lines is refused after rendering, not sent.
    broken = await send_with(
        mail_api, campaign, lead, subject="Hi {offer}", body="b", variables={"offer": "a\nBcc: x"}
    )
    assert broken.status_code == 422 and broken.json()["detail"][0]["loc"] == ["body", "subject"]
    assert await attempts(mail_api, campaign) == [] and mail_server.messages == []


async def test_another_workspaces_template_is_404(mail_api: Api, mail_server: MailServer) -> None:
    theirs = await make_template(mail_api, user="user_b")
    campaign, lead = await campaign_with_lead(mail_api)
    for template_id in (theirs, "tpl_unknown"):
        response = await send_with(
            mail_api, campaign, lead, template_id=template_id, variables={"offer": "x"}
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Resource not found"}
    assert await attempts(mail_api, campaign) == [] and mail_server.messages == []


async def test_without_a_template_subject_and_body_are_required(
    mail_api: Api, mail_server: MailServer
) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    for missing in ("subject", "body"):
        fields = {"subject": "Hi", "body": "Hello"}
        del fields[missing]
        response = await send_with(mail_api, campaign, lead, **fields)
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {"loc": ["body", missing], "msg": "Field required", "type": "missing"}
        ]
    empty = await send_with(mail_api, campaign, lead, subject="Hi", body="")
    assert empty.status_code == 422
    assert await attempts(mail_api, campaign) == [] and mail_server.messages == []
