"""The demo contest's content: its age groups and rubric, and the names, schools, titles and
statements its generated entries are drawn from (events/demo/contest.py uses them)."""

from __future__ import annotations

GROUPS = [
    {"code": "P1", "name": "小学低年级组", "min_grade": 1, "max_grade": 3},
    {"code": "P2", "name": "小学高年级组", "min_grade": 4, "max_grade": 6},
    {"code": "J", "name": "初中组", "min_grade": 7, "max_grade": 9},
    {"code": "S", "name": "高中组", "min_grade": 10, "max_grade": 12},
]
CRITERIA = [
    {"code": "theme", "name": "主题立意", "weight": 0.35},
    {"code": "idea", "name": "创意构思", "weight": 0.25},
    {"code": "art", "name": "艺术表现", "weight": 0.25},
    {"code": "finish", "name": "画面完整", "weight": 0.15},
]
GRADE_WEIGHTS = (9, 11, 12, 12, 11, 10, 7, 6, 5, 3, 2, 2)  # more young children than teenagers
PRIMARY_SCHOOLS = (
    "杭州市拱墅区实验小学",
    "杭州市卖鱼桥小学",
    "杭州市大关小学",
    "杭州市长青小学",
    "杭州市和睦小学",
    "杭州市拱宸桥小学",
    "杭州市小河小学",
    "杭州市半山实验小学",
    "杭州市文澜实验小学",
    "杭州市德胜小学",
)
MIDDLE_SCHOOLS = (
    "杭州市文澜中学",
    "杭州市大关中学",
    "杭州市拱宸中学",
    "杭州市锦绣中学",
    "杭州市上塘中学",
)
HIGH_SCHOOLS = ("杭州市长征中学", "杭州第十四中学康桥校区", "杭州市源清中学")
CHILD_GIVEN = (
    "子涵 浩然 欣怡 梓轩 雨桐 思远 佳琪 一鸣 梦瑶 子墨 语桐 浩宇 亦凡 可馨 书瑶 一诺 泽宇"
    " 锦程 煜城 瑾萱 沐阳 逸飞 安琪 若曦 宇航 晨曦 诗涵 天佑 明轩 嘉怡 思彤 奕辰 梓涵 欣妍"
    " 俊熙 雨泽 皓轩 紫萱 心怡 睿 航 萱 悦 琪 辰 涵 博文 星辰 知远 清扬 乐言 语嫣 嘉树"
).split()
PARENT_GIVEN = (
    "建国 建华 国强 志强 海燕 丽华 春燕 立新 晓东 晓燕 雪梅 国华 宏伟 振华 永刚 红霞 伟东"
    " 海峰 晓峰 慧敏 伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 婷 丹 琳 波 斌 颖"
).split()
TITLES = (
    "崇尚科学 拒绝邪教",
    "我心中的科学家",
    "科学之光照亮未来",
    "相信科学 远离迷信",
    "反邪教 护家园",
    "小小科学家",
    "破除迷信 崇尚科学",
    "科技点亮生活",
    "和谐家庭 拒绝邪教",
    "运河边的科学梦",
    "我的航天梦",
    "守护家园 远离邪教",
    "揭穿“大师”的把戏",
    "真相在阳光下",
    "向科学家致敬",
    "我和机器人做朋友",
    "星空的秘密",
    "科学伴我成长",
    "不信谣 不传谣",
    "一起做实验",
    "阳光下的家",
    "擦亮眼睛 识破邪教",
)
STATEMENTS = (
    "画里是{place}，大家在一起学科学、用科学。",
    "我画的是{person}，{person_act}。",
    "老师告诉我们，邪教会用谎言骗人，只有相信科学才不会上当。",
    "我想告诉大家：遇到说能“治百病”“消灾”的人，要告诉爸爸妈妈。",
    "我用了蓝色和绿色，表示科学让天空更蓝、家园更美。",
    "长大以后，我也想成为一名科学家。",
    "科学是照亮黑暗的灯，谎言在灯光下就藏不住了。",
    "这幅画是我和{who}一起构思的，我负责画，{who}帮我想了标题。",
)
PLACES = ("运河边的科技馆", "我们学校的科学课", "社区的科普活动", "拱宸桥边的公园", "青少年宫")
PERSONS = (
    ("袁隆平爷爷", "他在稻田里研究杂交水稻，让大家都能吃饱饭"),
    ("屠呦呦奶奶", "她发现了青蒿素，救了很多人"),
    ("航天员叔叔", "他们坐着飞船去了太空"),
    ("我的科学老师", "她教我们用放大镜观察树叶"),
    ("钱学森爷爷", "他为祖国造出了火箭"),
)
WHO = ("妈妈", "爸爸", "爷爷", "外婆", "同桌")
WITHDRAWN = 4  # guardians who took an entry back before the close
REJECTIONS = (
    "作品为打印图片，不是手绘原创作品。",
    "照片模糊，看不清画面，请联系主办方重新提交。",
)
DUPLICATES = 2  # pictures submitted a second time (by another child), flagged and rejected
GALLERY_CONSENT = 0.7
