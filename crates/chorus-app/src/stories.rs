//! Stories: campaigns, stories and variants, the workflow, the calendar, post rules, accounts.
