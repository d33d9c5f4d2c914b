"""Piccolo Admin as the project's inspection UI: every app's tables, the
credentials without their secrets, a schema-health page and the operator's
maintenance forms, behind one login."""
