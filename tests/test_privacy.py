"""The privacy notice names the controller, a contact, the lawful basis, retention, people's
rights and how to complain to the ICO, from configuration, with sensible words when unset."""


def test_privacy_notice_has_every_part_with_nothing_configured(client):
    page = client.get("/privacy").get_data(as_text=True)
    for heading in ("Who is responsible for your data", "How to contact us", "Our lawful basis",
                    "How long we keep it", "Your rights", "How to complain"):
        assert heading in page
    assert "The organisation running these briefings is the data controller" in page
    assert "contact the organisers of the briefings or your organisation's data protection officer" in page
    assert "public task (UK GDPR article 6(1)(e))" in page
    assert "deleted 90 days after the end of the session" in page
    assert "Information Commissioner's Office" in page and 'href="https://ico.org.uk/make-a-complaint/"' in page
    assert "Data Protection Officer:" not in page and "mailto:" not in page


def test_privacy_notice_from_configuration(app, client):
    app.config.update({"PRIVACY_CONTROLLER": "Glasgow City Council <b>",
                       "PRIVACY_CONTACT": "dataprotection@glasgow.example",
                       "PRIVACY_DPO": "Information Governance Team, City Chambers",
                       "PRIVACY_LAWFUL_BASIS": "consent", "RETENTION_DAYS": 30})
    page = client.get("/privacy").get_data(as_text=True)
    assert "Glasgow City Council &lt;b&gt; is the data controller" in page  # escaped, as all text
    assert 'href="mailto:dataprotection@glasgow.example"' in page
    assert "Data Protection Officer: Information Governance Team, City Chambers." in page
    assert "on the basis of consent." in page
    assert "deleted 30 days after the end" in page
    assert "The organisation running these briefings" not in page
