"""The fake Discord's modals, file uploads included."""

from __future__ import annotations

import discord
import pytest

from fakes.discord_server import FakeDiscord, check_modal
from fakes.discord_spec import RequestValidator
from tests.fakes.discord.helpers import CommandBot, _png


class HelpModal(discord.ui.Modal, title="Get help"):
    """The panel's modal: a problem, an optional order number, optional receipt photos."""

    problem: discord.ui.Label[HelpModal] = discord.ui.Label(
        text="What is the problem?",
        component=discord.ui.TextInput(
            custom_id="problem", style=discord.TextStyle.paragraph, max_length=1000
        ),
    )
    order: discord.ui.Label[HelpModal] = discord.ui.Label(
        text="Order number",
        description="If you have one",
        component=discord.ui.TextInput(custom_id="order", required=False, max_length=20),
    )
    photos: discord.ui.Label[HelpModal] = discord.ui.Label(
        text="Receipt photos",
        component=discord.ui.FileUpload(custom_id="photos", required=False, max_values=4),
    )

    def __init__(self, submissions: list[tuple[str, str, list[tuple[str, bytes]]]]) -> None:
        """Create the modal, recording what is submitted."""
        super().__init__(custom_id="help:modal", timeout=None)
        self.submissions = submissions

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Read the fields and download each uploaded file, then answer ephemerally."""
        problem = self.problem.component
        order = self.order.component
        photos = self.photos.component
        assert isinstance(problem, discord.ui.TextInput)
        assert isinstance(order, discord.ui.TextInput)
        assert isinstance(photos, discord.ui.FileUpload)
        files = [(a.filename, await a.read()) for a in photos.values]
        self.submissions.append((problem.value, order.value, files))
        await interaction.response.send_message("Thanks, opening your thread.", ephemeral=True)


class HelpPanel(discord.ui.View):
    """A persistent 'Get help' button that opens :class:`HelpModal`."""

    def __init__(self, submissions: list[tuple[str, str, list[tuple[str, bytes]]]]) -> None:
        """Create the panel sharing a submission log."""
        super().__init__(timeout=None)
        self.submissions = submissions

    @discord.ui.button(label="Get help", custom_id="help:open")
    async def open_modal(
        self, interaction: discord.Interaction, button: discord.ui.Button[HelpPanel]
    ) -> None:
        """Answer the click with the modal (callback type 9)."""
        await interaction.response.send_modal(HelpModal(self.submissions))


async def test_modal_with_file_upload(discord_fake: FakeDiscord) -> None:
    """Button -> modal (Labels, Text Inputs, File Upload) -> MODAL_SUBMIT parsed by discord.py."""
    bot = CommandBot(discord_fake)
    customer = discord_fake.add_user("omar")
    other = discord_fake.add_user("someone-else")
    submissions: list[tuple[str, str, list[tuple[str, bytes]]]] = []
    png = _png(4, 4)
    async with discord_fake.run_client(bot):
        panel = HelpPanel(submissions)
        bot.add_view(panel)
        channel = bot.get_channel(discord_fake.support_channel_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Need help? Press the button.", view=panel)

        click = await discord_fake.click_button((channel.id, sent.id), "help:open", customer)
        assert (await click.wait_for_response())["type"] == 9
        assert click.modal is not None
        assert click.modal["custom_id"] == "help:modal"
        labels = click.modal["components"]
        assert [(c["type"], c["component"]["type"]) for c in labels] == [(18, 4), (18, 4), (18, 19)]
        assert all(isinstance(c["id"], int) for c in labels)

        with pytest.raises(ValueError, match="required"):
            await discord_fake.submit_modal(click, {"order": "42"})
        with pytest.raises(ValueError, match="no text input"):
            await discord_fake.submit_modal(click, {"problem": "x", "photos": "y"})
        five = [("r.png", "image/png", png)] * 5
        with pytest.raises(ValueError, match="takes 1-4 files"):
            await discord_fake.submit_modal(click, {"problem": "x"}, {"photos": five})

        files = {"photos": [("receipt.png", "image/png", png), ("bag.jpg", "image/jpeg", b"j")]}
        submit = await discord_fake.submit_modal(
            click, {"problem": "Two pizzas missing", "order": "A-1042"}, files
        )
        response = await submit.wait_for_message()
        assert response["content"] == "Thanks, opening your thread."
        assert submit.ephemeral
        with pytest.raises(ValueError, match="already submitted"):
            await discord_fake.submit_modal(click, {"problem": "again"})

        data = submit.payload["data"]
        assert submit.payload["type"] == 5
        assert submit.payload["member"]["user"]["id"] == customer["id"]
        assert submit.payload["message"]["id"] == str(sent.id)
        upload = data["components"][2]["component"]
        assert upload["type"] == 19
        resolved = data["resolved"]["attachments"]
        assert list(resolved) == upload["values"]
        assert all(
            a["ephemeral"] and "/ephemeral-attachments/" in a["url"] for a in resolved.values()
        )

        later = await discord_fake.click_button((channel.id, sent.id), "help:open", other)
        await later.wait_for_response()
        await (await discord_fake.submit_modal(later, {"problem": "Cold food"})).wait_for_message()
    assert submissions == [
        ("Two pizzas missing", "A-1042", [("receipt.png", png), ("bag.jpg", b"j")]),
        ("Cold food", "", []),
    ]
    assert [d[1] for d in discord_fake.attachment_downloads] == ["receipt.png", "bag.jpg"]
    assert discord_fake.violations == []
    assert discord_fake.unexpected == []


def test_modal_checks() -> None:
    """File Uploads only in Labels, at most 5 components, a required upload wants a file."""
    text = {"type": 4, "custom_id": "problem", "style": 2}
    upload = {"type": 19, "custom_id": "photos", "max_values": 4, "required": False}
    label = {"type": 18, "label": "Problem", "component": text}
    good = {"custom_id": "m", "title": "Help", "components": [label]}
    good["components"].append({"type": 18, "label": "Photos", "component": upload})
    assert check_modal(good) == []
    assert (
        RequestValidator().validate(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            {"type": 9, "data": good},
        )
        == []
    )
    in_row = {**good, "components": [{"type": 1, "components": [upload]}]}
    assert [v.code for v in check_modal(in_row)] == ["COMPONENT_INVALID_PLACEMENT"]
    unlabelled = {**good, "components": [{"type": 1, "components": [text]}]}
    assert [v.path[-1] for v in check_modal(unlabelled)] == ["label"]
    required_none = {**upload, "required": True, "min_values": 0}
    bad_min = {**good, "components": [{"type": 18, "label": "P", "component": required_none}]}
    assert [v.path[-1] for v in check_modal(bad_min)] == ["min_values"]
    six = {
        **good,
        "components": [{**label, "component": {**text, "custom_id": str(i)}} for i in range(6)],
    }
    assert [v.code for v in check_modal(six)] == ["BASE_TYPE_MAX_LENGTH"]
    twice = {**good, "components": [label, label]}
    assert [v.code for v in check_modal(twice)] == ["COMPONENT_CUSTOM_ID_DUPLICATED"]
