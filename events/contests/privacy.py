"""The privacy notice for children's personal information, shown before a guardian submits.

PIPL Art. 28 treats the personal information of a minor under 14 as sensitive, and Art. 31
requires the consent of the parent or guardian; the CAC's Provisions on the Online Protection of
Children's Personal Information (2019) ask for a separate notice that says what is collected,
why, how long it is kept, who sees it, and how to withdraw. A consent is stored with the
version of the notice it was given to; change `VERSION` whenever the text changes.
"""

from __future__ import annotations

from events.core.i18n import gettext as _

VERSION = "2026-12-v1"


def notice(retention_days: int, organizer: str) -> list[tuple[str, str]]:
    """The notice as (heading, paragraph) pairs."""
    organizer = organizer or _("本次比赛的主办单位")
    return [
        (
            _("我们收集什么"),
            _(
                "孩子的姓名、年级、学校，作品的标题、创作说明和照片；监护人的姓名和手机号。"
                "照片在保存前会去除位置（GPS）、相机型号等全部附加信息。"
            ),
        ),
        (
            _("为什么收集"),
            _(
                "仅用于本次比赛：按年级分组、评审、公布结果、颁发证书，并通过短信告知您作品状态和结果。"
                "不用于任何其他目的，不向第三方提供。"
            ),
        ),
        (
            _("谁能看到"),
            _(
                "{organizer}的工作人员可以看到全部信息；评委只看到作品编号、标题、说明和照片，"
                "看不到孩子的姓名、学校和监护人信息。公开作品展只展示入选且您另行同意展示的作品，"
                "姓名只显示首尾字（如 陈*明）。"
            ).format(organizer=organizer),
        ),
        (
            _("保存多久"),
            _(
                "比赛结束后保存 {days} 天。期满后，未入选作品的照片和孩子的姓名将被删除，"
                "只保留不含个人信息的统计数字；入选作品及证书信息按获奖记录保存。"
            ).format(days=retention_days),
        ),
        (
            _("如何撤回"),
            _(
                "提交后您会收到作品链接。征集截止前，您可以随时在该页面撤回作品或更换照片；"
                "撤回后作品不再参加评审。您也可以随时取消“公开展示”的同意，或联系{organizer}"
                "要求查阅、更正或删除孩子的信息。"
            ).format(organizer=organizer),
        ),
        (
            _("监护人同意"),
            _(
                "孩子未满 14 周岁的，须由父母或其他监护人阅读本说明并同意后提交。"
                "勾选同意即表示您是孩子的监护人，并同意按本说明处理上述信息。"
            ),
        ),
    ]
