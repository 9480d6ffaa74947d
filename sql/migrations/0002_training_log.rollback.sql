drop schema app cascade;
drop schema app_private cascade;
