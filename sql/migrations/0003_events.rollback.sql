drop trigger if exists events_capture on app.workout_entry;
drop trigger if exists events_capture on app.workout;
drop trigger if exists events_capture on app.member;
drop schema events cascade;
