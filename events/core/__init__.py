"""Settings, database engines, errors, i18n, dates, phones, numbers and the fixed lists."""
