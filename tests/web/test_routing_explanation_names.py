"""Round-robin explanations name hosts: the booking page (managers and reps) and the team page."""

from scheduling import routing as rt
from scheduling.extensions import db
from tests.web import test_admin_pools as pool_tests
from tests.web.test_admin_pools import assign, base, sign_out

team = pool_tests.team  # the fixture: team Closers (Anna, Ben), Cara outside it, org B


def explained(booking, winner, loser, decided_by="deficit"):
    """Give the booking's assignment a real pick_host explanation where `winner` won."""
    members = [rt.Member(winner.id), rt.Member(loser.id)]
    stats = {
        winner.id: rt.MemberStats(winner.id, assigned=0, expected=2),
        loser.id: rt.MemberStats(loser.id, assigned=2, expected=2),
    }
    pick = rt.pick_host(members, stats, {winner.id, loser.id}, period="week")
    assert pick.host_id == winner.id and pick.explanation["decided_by"] == decided_by
    booking.assignment.explanation = pick.explanation
    db.session.commit()
    return pick


def test_the_booking_page_says_why_by_name(client, team):
    booking = assign(team.closers, team.call, team.anna, 26, {team.anna.id: 0.5, team.ben.id: 0.5})
    pick = explained(booking, team.anna, team.ben)
    assert (
        pick.explanation["summary"] == f"Host {team.anna.id} was furthest below their fair share."
    )
    page = client.get(f"/admin/bookings/{booking.id}").text
    assert "Anna Ahlberg was furthest below their fair share." in page
    assert f"Host {team.anna.id}" not in page
    assert 'data-label="Host">Ben Berger<' in page and 'data-label="Host">Anna Ahlberg ✓<' in page


def test_a_rep_sees_colleagues_by_name(client, team, login_as):
    booking = assign(team.closers, team.call, team.ben, 26, {team.anna.id: 0.5, team.ben.id: 0.5})
    explained(booking, team.ben, team.anna)
    sign_out(client)
    login_as("rep", org=team.org, host=team.ben)
    page = client.get(f"/admin/bookings/{booking.id}")
    assert page.status_code == 200
    assert "Ben Berger was furthest below their fair share." in page.text
    assert 'data-label="Host">Anna Ahlberg<' in page.text
    assert f'data-label="Host">{team.anna.id}<' not in page.text


def test_the_team_page_names_a_former_member_and_a_deleted_host(client, team):
    booking = assign(team.closers, team.call, team.cara, 26, {team.cara.id: 1})
    explained(booking, team.cara, team.anna)
    gone = assign(team.closers, team.call, team.ben, 28, {team.ben.id: 1})
    gone.assignment.explanation = {"summary": "Host 9999 was the only eligible member."}
    db.session.commit()
    section = client.get(base(team)).text
    section = section[section.index('id="assignments"') :]
    assert "Cara Costa was furthest below their fair share." in section
    assert "(a deleted host) was the only eligible member." in section
    assert "Host " not in section.replace("Host</th>", "").replace('"Host"', "")
