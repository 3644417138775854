"""Qt's own texts in Chinese: the standard buttons (确定, 取消), the print and file dialogs, the
context menus of text fields. PySide6 ships Qt's translations; they are loaded at start."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger("hall.ui")

# qtbase holds the widgets' and dialogs' texts; qt_zh_CN is the umbrella catalog (it pulls in
# the other modules' catalogs that are installed).
CATALOGS = ("qtbase_zh_CN", "qt_zh_CN")
_warned: set[str] = set()

# Texts of Qt 6's file dialog that the shipped catalogs still have under their Qt 5 wording
# ("Look in:" for "&Look in:"), so the save dialog showed them in English. Looked up only
# after Qt's own catalogs, and only for what they miss.
SUPPLEMENT = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
    ("QAbstractFileIconProvider", "Folder"): "文件夹",
    ("QAbstractFileIconProvider", "%1 File"): "%1 文件",
    ("QAbstractFileIconProvider", "File"): "文件",
}


class SupplementTranslator(QTranslator):
    """The few Qt texts of SUPPLEMENT, whatever the disambiguation."""

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        return SUPPLEMENT.get((context, source), "")

    def isEmpty(self) -> bool:
        return False


def translations_dir() -> str:
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def install_chinese_translations(
    app: QCoreApplication, folder: str | None = None
) -> list[QTranslator]:
    """Make Chinese (China) the default locale and install Qt's Chinese catalogs on ``app``
    (once per application). A missing catalog is logged once and skipped: Qt's own texts then
    stay in English, nothing else changes. Returns the translators installed now."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = folder or translations_dir()
    installed: list[QTranslator] = []
    supplement_name = "hall-translation-supplement"
    if app.findChild(QTranslator, supplement_name) is None and QTranslator().load(
        CATALOGS[0], folder
    ):
        # installed first, so it is asked last: only for what Qt's catalogs do not have
        supplement = SupplementTranslator(app)
        supplement.setObjectName(supplement_name)
        app.installTranslator(supplement)
        installed.append(supplement)
    for catalog in CATALOGS:
        name = f"hall-translation-{catalog}"
        if app.findChild(QTranslator, name) is not None:
            continue  # already installed on this application
        translator = QTranslator()
        if not translator.load(catalog, folder):
            if catalog not in _warned:
                _warned.add(catalog)
                log.warning(
                    "Qt translation %s.qm not found in %s: Qt's own dialogs stay in English",
                    catalog,
                    folder,
                )
            continue
        translator.setParent(app)  # lives as long as the application
        translator.setObjectName(name)
        app.installTranslator(translator)
        installed.append(translator)
    return installed
