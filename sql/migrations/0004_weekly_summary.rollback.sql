drop table app.weekly_summary;
