from tests.conftest import Api, create_campaign


async def test_create_and_list(api: Api) -> None:
    campaign = await create_campaign(api, keywords=["gardening"])
    response = await api.get("/campaigns")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [campaign["id"]]
