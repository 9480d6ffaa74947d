-- A few weeks of training for alice, bob and carol, ending in the current week (so "this
-- week" queries have data). Deterministic apart from the dates; skipped for a member who
-- already has workouts, so seeding twice changes nothing.
do $$
declare
  plan record;
  week_no int;
  session_no int;
  set_no int;
  entry_pos int;
  session_start timestamptz;
  new_workout_id bigint;
  ex record;
  metric text;
  metrics jsonb;
  base_load numeric;
  visibilities app.workout_visibility[] := array['private', 'coach', 'public'];
begin
  for plan in
    select * from (values
      ('a11ce000-0000-4000-8000-000000000001'::uuid, 'Strength', array[
        array['Back Squat', 'Bench Press', 'Pull-up'],
        array['Deadlift', 'Overhead Press', 'Barbell Row'],
        array['Front Squat', 'Dip', 'Plank']]),
      ('b0b00000-0000-4000-8000-000000000002'::uuid, 'Endurance', array[
        array['Running', 'Hamstring Stretch', 'Foam Rolling'],
        array['Cycling', 'Plank', 'Hip Flexor Stretch'],
        array['Rowing', 'Burpee', 'Foam Rolling']]),
      ('ca201000-0000-4000-8000-000000000003'::uuid, 'Conditioning', array[
        array['Running', 'Kettlebell Swing', 'Push-up'],
        array['Deadlift', 'Box Jump', 'Farmer''s Carry'],
        array['Rowing', 'Turkish Get-up', 'World''s Greatest Stretch']])
    ) as p(member_id, focus, sessions)
  loop
    continue when exists (select 1 from app.workout w where w.owner_id = plan.member_id);
    for week_no in 0..3 loop
      for session_no in 1..3 loop
        session_start := date_trunc('week', now()) - make_interval(weeks => 3 - week_no)
                         + make_interval(days => (session_no - 1) * 2, hours => 6 + session_no);
        continue when session_start > now();
        insert into app.workout (owner_id, title, started_at, ended_at, notes, tags, data, visibility)
        values (
          plan.member_id,
          format('%s %s (week %s)', plan.focus, chr(64 + session_no), week_no + 1),
          session_start,
          session_start + interval '55 minutes',
          case when session_no = 2 then 'Felt strong today.' end,
          array[lower(plan.focus), 'block-1'],
          jsonb_build_object('location', case when session_no = 1 then 'gym' else 'home' end,
                             'sleep_h', 6.5 + session_no * 0.5),
          visibilities[1 + (week_no * 3 + session_no) % 3]
        )
        returning id into new_workout_id;

        entry_pos := 0;
        for ex in
          select e.id, e.name, e.metrics
          from unnest(plan.sessions[session_no:session_no]) with ordinality as s(name, ord)
          join app.exercise e on e.name = s.name and e.owner_id is null
          order by s.ord
        loop
          base_load := 20 + abs(hashtext(ex.name)) % 80;
          for set_no in 1..3 loop
            metrics := '{}';
            foreach metric in array ex.metrics loop
              metrics := metrics || jsonb_build_object(metric, case metric
                when 'reps'        then to_jsonb(4 + set_no)
                when 'weight_kg'   then to_jsonb(base_load + 2.5 * week_no + 2.5 * set_no)
                when 'distance_m'  then to_jsonb(3000 + 250 * week_no)
                when 'duration_s'  then to_jsonb(case when ex.metrics = array['duration_s'] then 45 + 15 * set_no
                                                      else 1200 + 60 * set_no - 30 * week_no end)
                when 'avg_hr'      then to_jsonb(140 + 3 * set_no - week_no)
                when 'rpe'         then to_jsonb(6 + set_no)
                when 'elevation_m' then to_jsonb(20 + 5 * week_no)
                when 'calories'    then to_jsonb(250 + 10 * set_no)
              end);
            end loop;
            insert into app.workout_entry (workout_id, exercise_id, position, metrics, performed_at)
            values (new_workout_id, ex.id, entry_pos, metrics, session_start + make_interval(mins => entry_pos * 4));
            entry_pos := entry_pos + 1;
          end loop;
        end loop;
      end loop;
    end loop;
  end loop;
end
$$;
