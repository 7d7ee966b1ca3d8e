"""Award tiers by count within each group's selected."""

from events.contests.results import tiers


def test_default_tiers_give_every_group_a_first_prize():
    assert tiers({"awards": []}, 3) == ["一等奖", "二等奖", "三等奖"]
    assert tiers({"awards": []}, 1) == ["一等奖"]
    assert tiers({"awards": []}, 0) == []
    ten = tiers({"awards": []}, 10)
    assert ten.count("一等奖") == 1 and ten.count("二等奖") == 2 and ten.count("三等奖") == 3
    assert ten.count("优秀奖") == 4 and len(ten) == 10


def test_set_counts_and_the_last_tier_takes_the_rest():
    awards = [
        {"name": "金奖", "count": 1},
        {"name": "银奖", "count": 2},
        {"name": "入围", "count": 0},
    ]
    assert tiers({"awards": awards}, 5) == ["金奖", "银奖", "银奖", "入围", "入围"]
    assert tiers({"awards": awards}, 2) == ["金奖", "银奖"]
