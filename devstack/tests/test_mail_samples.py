"""`python -m devstack.mail_samples` saves the newest email of each kind and names the kinds it lacks."""

from devstack.mail_samples import save_samples


class FakeMailbox:
    def __init__(self, found):
        self.found = found
        self.asked = []

    def newest_id(self, query):
        self.asked.append(query)
        return self.found.get(query)

    def raw(self, message_id):
        return f"Subject: {message_id}\r\n\r\nbody\r\n".encode()


def test_each_kind_is_saved_from_its_first_search_that_finds_one_and_the_missing_kinds_are_named(tmp_path):
    mailbox = FakeMailbox({'subject:"Idea declined"': "idea-1", 'subject:"Your daily digest"': "digest-1",
                           'subject:"levels of the hierarchy"': "alert-1"})
    assert save_samples(mailbox, tmp_path / "emails") == ["training"]
    assert (tmp_path / "emails" / "immediate.eml").read_bytes().startswith(b"Subject: idea-1")
    assert (tmp_path / "emails" / "digest.eml").read_bytes().startswith(b"Subject: digest-1")
    assert (tmp_path / "emails" / "alert.eml").exists() and not (tmp_path / "emails" / "training.eml").exists()
