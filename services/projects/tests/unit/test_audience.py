from services.projects.service_layer.common import once_each, path_of, team_audience

TEAM = [{"subject": "lee", "name": "Lee", "email": "lee@trust.example", "role": "lead"},
        {"subject": "mo", "name": "Mo", "email": "mo@trust.example", "role": "member"},
        {"subject": "sid", "name": "Sid", "email": "", "role": "sponsor"}]


def test_the_team_is_told_by_role_and_members_as_team_skipping_those_without_an_address():
    assert [(r["email"], r["relation"]) for r in team_audience(TEAM)] == [("lee@trust.example", "lead"),
                                                                         ("mo@trust.example", "team")]


def test_each_address_is_told_once_in_the_first_relation_given_whatever_its_case():
    told = once_each([{"email": "Pat@Example.org", "name": "Pat", "relation": "submitter"},
                      {"email": "pat@example.org", "name": None, "relation": "follower"},
                      {"email": "lee@trust.example", "name": "Lee", "relation": "lead"}])
    assert [(r["email"], r["relation"]) for r in told] == [("Pat@Example.org", "submitter"),
                                                           ("lee@trust.example", "lead")]


def test_the_portal_path_of_a_project():
    assert path_of("9b2e4d71") == "/projects/9b2e4d71"
