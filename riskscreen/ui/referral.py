"""The referral summary inside the app: its pages rendered as images, Print and Save as PDF."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QPixmap, QResizeEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from riskscreen.ui.referral_record import ReferralRecordPanel

__all__ = ["ReferralView", "pdf_pages", "print_images"]


def pdf_pages(data: bytes, dpi: float = 110.0) -> list[QImage]:
    """Render every page of a PDF to an image (safe to call off the GUI thread)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    images: list[QImage] = []
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True)
            image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride,
                           QImage.Format.Format_RGB888 if bitmap.n_channels == 3
                           else QImage.Format.Format_RGBA8888)
            images.append(image.copy())  # own the pixels before pdfium frees its buffer
            bitmap.close()
            page.close()
    finally:
        document.close()
    return images


def print_images(printer: QPrinter, images: list[QImage]) -> None:
    """Print page images, each scaled to fit the printable area."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be started")
    try:
        for i, image in enumerate(images):
            if i:
                printer.newPage()
            area = painter.viewport()
            size = image.size()
            size.scale(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setViewport(area.x(), area.y(), size.width(), size.height())
            painter.setWindow(image.rect())
            painter.drawImage(0, 0, image)
            painter.setViewport(area)
    finally:
        painter.end()


class ReferralView(QWidget):
    """Layout of the preview and its actions."""

    print_requested = Signal()
    save_requested = Signal()
    package_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("referralView")
        title = QLabel("Referral summary", self)
        title.setObjectName("pageTitle")
        self.status = QLabel(self)
        self.status.setObjectName("referralStatus")
        self.status.setWordWrap(True)
        self.pages = QWidget(self)
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.pages)
        self.scroll_area.setAccessibleName("Preview of the referral summary")
        self.back_button = QPushButton("← Back to the screening", self)
        self.back_button.setObjectName("backFromReferral")
        self.print_button = QPushButton("Print…", self)
        self.print_button.setObjectName("printReferral")
        self.save_button = QPushButton("Save as PDF…", self)
        self.save_button.setObjectName("saveReferral")
        self.package_button = QPushButton("Save package…", self)
        self.package_button.setObjectName("savePackage")
        self.package_button.setToolTip("Save the referral as a signed, encrypted package for "
                                       "the receiving team (to attach to secure email or "
                                       "carry on an encrypted stick)")
        self.protect = QCheckBox("Protect the PDF with a password", self)
        self.protect.setObjectName("protectPdf")
        self.password = QLineEdit(self)
        self.password.setObjectName("pdfPassword")
        self.password.setAccessibleName("PDF password")
        self.password.setPlaceholderText("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(self)
        self.repeat.setObjectName("pdfPasswordRepeat")
        self.repeat.setAccessibleName("PDF password again")
        self.repeat.setPlaceholderText("Password again")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        #: The referral record: its status and next steps.
        self.record = ReferralRecordPanel(self)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(title, 1)
        top.addWidget(self.print_button)
        top.addWidget(self.save_button)
        top.addWidget(self.package_button)
        protect = QHBoxLayout()
        protect.addWidget(self.protect)
        protect.addWidget(self.password)
        protect.addWidget(self.repeat)
        protect.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(protect)
        layout.addWidget(self.record)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.scroll_area, 1)
        self.protect.toggled.connect(self._on_protect_toggled)
        self.print_button.clicked.connect(self.print_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.package_button.clicked.connect(self.package_requested)
        self.back_button.clicked.connect(self.back_requested)
        self._on_protect_toggled(False)
        self.images: list[QImage] = []
        self.print_action = QAction("Print the referral summary", self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.print_action.triggered.connect(self._on_print_action_triggered)
        self.addAction(self.print_action)
        self.print_button.setToolTip("Print the referral summary (Ctrl+P)")

    def _on_print_action_triggered(self) -> None:
        if self.print_button.isEnabled():
            self.print_requested.emit()

    def first_field(self) -> QWidget:
        """The cursor starts on Print, the usual next step."""
        return self.print_button if self.print_button.isEnabled() else self.back_button

    def _fit_pages(self) -> None:
        # Pages are shown no wider than the preview (a small screen or a large scale factor
        # would otherwise need sideways scrolling); printing and saving use the full images.
        margins = self.pages_layout.contentsMargins()
        room = self.scroll_area.viewport().width() - margins.left() - margins.right() - 4
        room -= self.scroll_area.verticalScrollBar().sizeHint().width()
        ratio = self.devicePixelRatioF()
        for label in self.pages.findChildren(QLabel):
            index = label.property("page")
            if not isinstance(index, int) or not 0 <= index < len(self.images):
                continue
            image = self.images[index]
            width = min(image.width() / ratio, max(100, room))
            if label.pixmap().isNull() or label.pixmap().width() / ratio != int(width):
                pixmap = QPixmap.fromImage(image.scaledToWidth(
                    int(width * ratio), Qt.TransformationMode.SmoothTransformation))
                pixmap.setDevicePixelRatio(ratio)
                label.setPixmap(pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Fit the pages to the new width."""
        super().resizeEvent(event)
        self._fit_pages()

    def _on_protect_toggled(self, checked: bool) -> None:
        self.password.setVisible(checked)
        self.repeat.setVisible(checked)

    def password_problem(self) -> str | None:
        """Why the chosen password cannot be used, or None."""
        if not self.protect.isChecked():
            return None
        if len(self.password.text()) < 8:
            return "Choose a PDF password of at least 8 characters."
        if self.password.text() != self.repeat.text():
            return "The two PDF passwords are not the same."
        return None

    def chosen_password(self) -> str | None:
        """The PDF password, if protection is ticked."""
        return self.password.text() if self.protect.isChecked() else None

    def forget_password(self) -> None:
        """Empty both password fields (after use, on locking, and for the next referral)."""
        self.password.clear()
        self.repeat.clear()

    def set_busy(self, message: str) -> None:
        """Rendering takes a moment; say what is happening."""
        self.status.setText(message)
        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.package_button.setEnabled(False)

    def set_writing(self, writing: bool) -> None:
        """While a file is written, nothing can be printed or written a second time."""
        for button in (self.print_button, self.save_button, self.package_button):
            button.setEnabled(not writing and bool(self.images))

    def show_error(self, message: str) -> None:
        """A plain-words problem."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def show_pages(self, images: list[QImage], status: str) -> None:
        """The rendered pages, one under the other."""
        self.images = images
        while self.pages_layout.count():
            item = self.pages_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for i in range(1, len(images) + 1):
            label = QLabel(self.pages)
            label.setProperty("page", i - 1)
            label.setAccessibleName(f"Page {i} of {len(images)}")
            label.setStyleSheet("border: 1px solid #999; background: white;")
            self.pages_layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        self._fit_pages()
        self.status.setText(status)
        self.print_button.setEnabled(bool(images))
        self.save_button.setEnabled(bool(images))
        self.package_button.setEnabled(bool(images))
