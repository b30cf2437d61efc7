"""pipeline.review: one rule for "to review", and OCR confidences carried onto restoration tokens."""

from __future__ import annotations

from pipeline import review


def _token(line: int, col: int, confidence: float = 0.99) -> dict:
    return {"line": line, "col": col, "confidence": confidence}


def test_either_confidence_being_low_is_enough() -> None:
    assert review.to_review(0.0, 1.0)  # Tesseract could not read it; the language model liked the guess
    assert review.to_review(95.0, 0.5)
    assert not review.to_review(95.0, 0.95)
    assert not review.to_review(None, 0.95) and review.to_review(None, 0.2)  # text dumps: no OCR confidence
    assert review.to_review(review.LOW_OCR_CONFIDENCE - 0.01, 1.0)
    assert not review.to_review(review.LOW_OCR_CONFIDENCE, review.LOW_CONFIDENCE)


def test_a_personal_name_is_to_review_unless_nearly_sure() -> None:
    """A given name read at 0.9 (Dung over Dũng) is sent to review; an ordinary word is not."""
    assert review.to_review(None, 0.9, "name")
    assert not review.to_review(None, 0.9, "diacritics") and not review.to_review(None, 0.9)
    assert not review.to_review(95.0, review.LOW_NAME_CONFIDENCE, "name")
    name = {"line": 0, "col": 0, "confidence": 0.9, "reason": "name", "ocr_confidence": 92.0}
    assert review.token_to_review(name) and not review.token_to_review({**name, "corrected": True})


def test_tokens_get_the_confidence_of_the_ocr_word_they_lie_in() -> None:
    lines = ["Sở Nội vụ, tỉnh", "", "lệch dòng"]
    tokens = [_token(0, 0), _token(0, 3), _token(0, 7), _token(0, 12), _token(2, 5), _token(1, 0)]
    # line 2: the OCR found 3 words but the raw line has 2 pieces; line 1 has no words
    review.attach_ocr_confidence(tokens, lines, [[90.0, 40.0, 80.0, 70.0], [], [55.0, 90.0, 91.0]])
    assert [t["ocr_confidence"] for t in tokens] == [90.0, 40.0, 80.0, 70.0, 55.0, None]
    assert review.count_to_review(tokens) == 2  # "Nội" (40) and the doubtful line's token (lowest: 55)


def test_tokens_without_ocr_words_keep_none() -> None:
    tokens = [_token(0, 0, 0.5), _token(3, 0)]
    review.attach_ocr_confidence(tokens, ["Kế hoạch"], [])
    assert [t["ocr_confidence"] for t in tokens] == [None, None]
    assert [review.token_to_review(t) for t in tokens] == [True, False]
