"""Pictures on the sandbox page in headless Chromium: the buyer attaches a photo to a request, the invited maker's
phone shows it, the maker answers with a photo of their own, and the buyer's chat shows that one."""

from __future__ import annotations

from bot import texts
from tests.browser.journey import sandbox_server
from tests.browser.test_sandbox_browser import browser  # noqa: F401  (the fixture)

ONE_ATTACHED = texts.BUYER_PICTURES_ATTACHED.format(count=1)  # "📎 1 drawing attached"


def _photo(path) -> str:
    from PIL import Image

    Image.new("RGB", (640, 480), (20, 120, 200)).save(path, "JPEG")
    return str(path)


def test_pictures_both_ways_on_the_sandbox_page(browser, tmp_path):  # noqa: F811
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait


    wait = WebDriverWait(
        browser, 20, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )

    def attach(input_id: str, path: str) -> None:
        chooser = browser.find_element(By.ID, input_id)
        browser.execute_script("arguments[0].hidden = false;", chooser)  # as the 📎 label's click would open it
        chooser.send_keys(path)

    def shown_picture(log_id: str):
        def loaded(driver):
            for image in driver.find_elements(By.CSS_SELECTOR, f"#{log_id} img.picture"):
                if driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", image):
                    return image
            return None

        return wait.until(loaded, f"a picture shown in #{log_id}")

    photo = _photo(tmp_path / "part.jpg")
    with sandbox_server(tmp_path) as (url, log_path):
        browser.get(url)
        wait.until(seen.element_to_be_clickable((By.ID, "chat-start"))).click()
        wait.until(seen.element_to_be_clickable((By.ID, "chat-input"))).send_keys(
            "need 500 face shields by Friday near 48201"
        )
        attach("chat-file", photo)
        wait.until(
            lambda d: any(
                ONE_ATTACHED in b.text for b in d.find_elements(By.CSS_SELECTOR, "#chat-log .bubble")
            ),
            "the summary counting the picture",
        )
        wait.until(seen.element_to_be_clickable((By.CSS_SELECTOR, "#chat-log button[data-data^='send:']"))).click()
        shown_picture("chat-log")  # the buyer sees the photo they sent…
        shown_picture("thread-log")  # …and so does the invited maker's phone

        wait.until(seen.element_to_be_clickable((By.ID, "sms-input"))).send_keys("YES $2.50 each 5 days")
        attach("sms-file", photo)
        # The buyer's chat shows the maker's, with the quote.
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat-log .msg.bot img.picture")) == 1)
        shown_picture("chat-log")
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
    assert "Traceback" not in log_path.read_text()
