"""The offline rule planner on sentences of our own: splitting, scope, targets, pronouns, inversion."""
from __future__ import annotations

import json

import pytest

from emilie_agent.errors import InvalidRequestError
from emilie_agent.planning.clauses import split_clauses
from emilie_agent.planning.plan import Step
from emilie_agent.planning.prompts import read_prompt
from emilie_agent.planning.rule_planner import RulePlanner

G = "global"
L = "local"

# (request, [(scope, target, invert, a word the instruction must contain), ...])
CASES = [
    # one step, local: recolour / change / remove / replace / add-to / give
    ("Paint the fence white.", [(L, "fence", False, "white")]),
    ("Recolor the walls light blue", [(L, "wall", False, "light blue")]),
    ("Dye the old man's beard black.", [(L, "beard", False, "black")]),
    ("Could you please make the dog's collar gold?", [(L, "collar", False, "gold")]),
    ("Make the puppies fluffier", [(L, "puppy", False, "fluffier")]),
    ("Change the man's jacket to leather.", [(L, "jacket", False, "leather")]),
    ("Change the color of the car to red.", [(L, "car", False, "red")]),
    ("Turn the lake into a field of lavender.", [(L, "lake", False, "lavender")]),
    ("Swap the man's hat for a crown", [(L, "hat", False, "crown")]),
    ("Replace the sky with a starry night.", [(L, "sky", False, "starry night")]),
    ("Get rid of the car in the background.", [(L, "car in the background", False, "get rid of")]),
    ("Delete the trash can next to the bench", [(L, "trash can", False, "delete")]),
    ("Remove the glasses from the woman's face.", [(L, "glasses", False, "remove")]),
    ("Erase the text at the bottom.", [(L, "text at the bottom", False, "erase")]),
    ("Put a bird next to the tree.", [(L, "tree", False, "bird")]),
    ("Draw a heart on the wall.", [(L, "wall", False, "heart")]),
    ("Paint a mustache on the man", [(L, "man", False, "mustache")]),
    ("Put fireworks above the castle.", [(L, "castle", False, "fireworks")]),
    ("Add a castle in the background.", [(L, "background", False, "castle")]),
    ("Put the man in a suit.", [(L, "man", False, "suit")]),
    ("Give the cat wings.", [(L, "cat", False, "wings")]),
    ("Give the car racing stripes", [(L, "car", False, "racing stripes")]),
    ("Cover the table with roses.", [(L, "table", False, "roses")]),
    ("Make the woman smile.", [(L, "woman", False, "smile")]),
    ("Make the snowman melt", [(L, "snowman", False, "melt")]),
    ("Make the person in the middle taller.", [(L, "person in the middle", False, "taller")]),
    ("Make the man in the red shirt wave.", [(L, "man in the red shirt", False, "wave")]),
    ("Blur the background.", [(L, "background", False, "blur")]),
    ("Turn off the lamp.", [(L, "lamp", False, "off")]),
    ("Make the man's hat and the woman's scarf red.", [(L, "hat and scarf", False, "red")]),
    ("I want the sky to be green.", [(L, "sky", False, "make the sky green")]),
    ("The door should be blue.", [(L, "door", False, "make the door blue")]),
    # one step, global
    ("Make it look like a snowy evening.", [(G, None, False, "snowy evening")]),
    ("Make it rain.", [(G, None, False, "rain")]),
    ("Let it snow!", [(G, None, False, "snow")]),
    ("Make it a starry night", [(G, None, False, "starry night")]),
    ("Increase the contrast.", [(G, None, False, "contrast")]),
    ("Convert the photo to grayscale.", [(G, None, False, "grayscale")]),
    ("Apply a sepia filter.", [(G, None, False, "sepia")]),
    ("Give the photo a warm, cinematic look.", [(G, None, False, "cinematic")]),
    ("Transform the scene into a cyberpunk city at night.", [(G, None, False, "cyberpunk")]),
    ("Make the picture look like it was taken in the 80s.", [(G, None, False, "80s")]),
    ("Brighten up the image a little", [(G, None, False, "brighten")]),
    ("Turn day into night.", [(G, None, False, "night")]),
    ("Change the weather to stormy.", [(G, None, False, "stormy")]),
    ("Add snow.", [(G, None, False, "snow")]),
    ("Add a dog on the left.", [(G, None, False, "dog")]),
    ("black and white please", [(G, None, False, "black and white")]),
    ("Frost the windows", [(L, "window", False, "frost")]),
    # several steps
    ("Make the sky purple and the clouds pink.", [(L, "sky", False, "purple"), (L, "cloud", False, "pink")]),
    (
        "Make the knives golden and the forks silver.",
        [(L, "knife", False, "golden"), (L, "fork", False, "silver")],
    ),
    (
        "Turn the trees into palm trees and the grass into sand.",
        [(L, "tree", False, "palm"), (L, "grass", False, "sand")],
    ),
    (
        "Put sunglasses on the dog and a hat on the cat.",
        [(L, "dog", False, "sunglasses"), (L, "cat", False, "hat")],
    ),
    (
        "Make the scene foggy, then add a lamp post next to the bench.",
        [(G, None, False, "foggy"), (L, "bench", False, "lamp post")],
    ),
    (
        "Put a Santa hat on the dog, then add Christmas lights to the tree, and finally make it nighttime.",
        [(L, "dog", False, "santa hat"), (L, "tree", False, "christmas lights"), (G, None, False, "nighttime")],
    ),
    (
        "Add more contrast and make the colors more vivid.",
        [(G, None, False, "contrast"), (G, None, False, "vivid")],
    ),
    (
        "Remove the cars from the street then make the street wet",
        [(L, "car", False, "remove"), (L, "street", False, "wet")],
    ),
    (
        "Make it winter. Add a snowman next to the house; after that, brighten the sky.",
        [(G, None, False, "winter"), (L, "house", False, "snowman"), (L, "sky", False, "brighten")],
    ),
    (
        "Give the statue a golden crown and then make the statue bronze.",
        [(L, "statue", False, "golden crown"), (L, "statue", False, "bronze")],
    ),
    # pronouns
    ("Turn the cat into a tiger, then give it a crown.", [(L, "cat", False, "tiger"), (L, "tiger", False, "crown")]),
    (
        "Swap the apples for pears, then make them shiny.",
        [(L, "apple", False, "pears"), (L, "pear", False, "the pears shiny")],
    ),
    ("Add a moon in the sky; make it glow.", [(L, "sky", False, "moon"), (L, "moon", False, "the moon glow")]),
    (
        "Add a beard to the man, then make it grey.",
        [(L, "man", False, "beard"), (L, "beard", False, "the beard grey")],
    ),
    (
        "Make the dog's ears bigger and give it a bow.",
        [(L, "ear", False, "bigger"), (L, "dog", False, "give the dog a bow")],
    ),
    (
        "Make the woman's dress red, then give her a tiara.",
        [(L, "dress", False, "red"), (L, "woman", False, "give the woman a tiara")],
    ),
    (
        "Make the soldier's uniform blue, and give him a medal.",
        [(L, "uniform", False, "blue"), (L, "soldier", False, "medal")],
    ),
    (
        "Make the girl's hair purple and add freckles to her face.",
        [(L, "hair", False, "purple"), (L, "face", False, "freckles")],
    ),
    (
        "Put a cat on the sofa, then make it sleep.",
        [(L, "sofa", False, "cat"), (L, "cat", False, "sleep")],
    ),
    ("Add a scarf to the snowman and make it snow.", [(L, "snowman", False, "scarf"), (G, None, False, "snow")]),
    ("Make her smile.", [(L, "person", False, "her smile")]),
    # everything except X / keep X
    ("Turn everything except the woman into stone.", [(L, "woman", True, "turn it into stone")]),
    ("Make everything but the sky black and white.", [(L, "sky", True, "make it black and white")]),
    (
        "Make everything apart from the baby look like a sketch",
        [(L, "baby", True, "make it look like a sketch")],
    ),
    ("Make the whole image darker except for the moon.", [(L, "moon", True, "darker")]),
    ("Make it black and white but keep the dog in color.", [(L, "dog", True, "black and white")]),
    (
        "Keep the bride as she is and turn everything else into a pencil sketch.",
        [(L, "bride", True, "turn it into a pencil sketch")],
    ),
    ("Keep the car and turn the rest of the picture into a desert.", [(L, "car", True, "turn it into a desert")]),
    ("Leave the people untouched and make it look like a comic book", [(L, "person", True, "comic book")]),
    ("Make it autumn without changing the house", [(L, "house", True, "autumn")]),
    (
        "Make the cat orange and everything else black and white.",
        [(L, "cat", False, "orange"), (L, "cat", True, "make it black and white")],
    ),
    ("Make the background blurry but keep the woman sharp.", [(L, "background", False, "blurry")]),
    # The new object is not the target: where it goes is ("park" was read as a plain verb before).
    ("park a blue car on the road", [(L, "road", False, "park")]),
]


@pytest.fixture(scope="module")
def planner() -> RulePlanner:
    return RulePlanner()


def _summary(plan):
    return [(s.scope, s.target, s.invert) for s in plan.steps]


@pytest.mark.parametrize("request_text, expected", CASES, ids=[c[0][:50] for c in CASES])
def test_plans_requests(planner, request_text, expected):
    plan = planner.plan(request_text)
    assert _summary(plan) == [(scope, target, invert) for scope, target, invert, _ in expected]
    for step, (*_, keyword) in zip(plan.steps, expected):
        assert keyword in step.instruction.lower(), step.instruction


def test_instructions_are_imperatives_without_the_connectors(planner):
    plan = planner.plan("Please turn the bus yellow, and then, finally, make it look like a postcard!")
    assert [s.instruction for s in plan.steps] == ["turn the bus yellow", "make it look like a postcard"]


def test_ordinal_connectors_and_shouting(planner):
    plan = planner.plan("First, make the sky orange. Next, add a kite to the sky. Lastly, make it look vintage.")
    assert [s.instruction for s in plan.steps] == ["make the sky orange", "add a kite to the sky", "make it look vintage"]
    assert planner.plan("MAKE THE CAR RED").steps[0] == Step(instruction="make the car red", scope="local", target="car")


def test_keeps_black_and_white_and_similar_phrases_together():
    assert split_clauses("Make the photo black and white") == ["Make the photo black and white"]
    assert split_clauses("Paint the boat red and white and add a flag to it") == [
        "Paint the boat red and white",
        "add a flag to it",
    ]


def test_restores_the_elided_verb():
    assert split_clauses("Make the lamp green and its shade yellow") == ["Make the lamp green", "make its shade yellow"]


def test_plural_targets_are_singular_but_instructions_keep_the_words(planner):
    step = planner.plan("Make the cherries darker")
    assert step.steps[0].target == "cherry"
    assert step.steps[0].instruction == "make the cherries darker"


def test_history_resolves_it_to_what_the_last_step_made(planner):
    history = [Step(instruction="put a straw hat on the scarecrow", scope="local", target="scarecrow")]
    plan = planner.plan("make it bigger", history)
    assert _summary(plan) == [(L, "straw hat", False)]
    assert plan.steps[0].instruction == "make the straw hat bigger"


def test_history_resolves_him_and_her(planner):
    history = [
        Step(instruction="make the woman's coat green", scope="local", target="coat"),
        Step(instruction="make the man's tie red", scope="local", target="tie"),
    ]
    assert planner.plan("give her earrings", history).steps[0].target == "woman"
    assert planner.plan("give him a top hat", history).steps[0].target == "man"


def test_it_after_a_global_step_is_the_picture(planner):
    history = [Step(instruction="make it winter", scope="global")]
    assert _summary(planner.plan("make it darker", history)) == [(G, None, False)]
    assert _summary(planner.plan("now make it bigger")) == [(G, None, False)]


def test_named_object_across_messages_needs_no_history(planner):
    history = [Step(instruction="give the boy a hat", scope="local", target="boy")]
    plan = planner.plan("Now make the hat bigger", history)
    assert _summary(plan) == [(L, "hat", False)]


@pytest.mark.parametrize("request_text", ["", "   ", "\n\t"])
def test_empty_request_is_a_clear_error(planner, request_text):
    with pytest.raises(InvalidRequestError, match="request is empty"):
        planner.plan(request_text)


@pytest.mark.parametrize("request_text", ["hello there", "Thanks!", "Hi! Hope you're well. Cheers", "and then"])
def test_small_talk_alone_has_no_edit(planner, request_text):
    with pytest.raises(InvalidRequestError, match="no edit found"):
        planner.plan(request_text)


def test_a_request_with_only_a_keep_has_no_edit(planner):
    with pytest.raises(InvalidRequestError, match="no edit"):
        planner.plan("Keep the dog as it is.")


def test_agrees_with_the_llm_prompt_examples(planner):
    """The few-shot examples shown to the LLM follow the same rules as the offline planner."""
    for example in json.loads(read_prompt("planner_examples.json")):
        history = [Step.model_validate(step) for step in example.get("history", ())]
        plan = planner.plan(example["request"], history)
        expected = [(s["scope"], s["target"], s["invert"]) for s in example["steps"]]
        assert _summary(plan) == expected, example["request"]
