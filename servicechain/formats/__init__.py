"""The product's date and time formats, in one place (settings.FORMAT_MODULE_PATH).

Django looks here before its own locale files, so ``{{ value|date }}`` (long),
``{{ value|date:"SHORT_DATE_FORMAT" }}`` (short), ``{{ value|time }}`` and
``{{ value|date:"DATETIME_FORMAT" }}`` read the same on every page. Input formats are not
overridden: forms keep accepting what Django's locale accepts.
"""
