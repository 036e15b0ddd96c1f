def test_front_page_lists_demo_sessions(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    assert "North East: morning briefing" in response.get_data(as_text=True)
