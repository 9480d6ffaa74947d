-- Demo members. Their ids are fixed: the Keycloak dev realm (deploy/keycloak/realm-jim.json)
-- gives its users the same ids, so a token's sub is the member's id.
insert into app.member (id, username, display_name, profile) values
  ('a11ce000-0000-4000-8000-000000000001', 'alice', 'Alice Archer', '{"units": "metric", "goal": "first pull-up"}'),
  ('b0b00000-0000-4000-8000-000000000002', 'bob',   'Bob Baker',    '{"units": "metric", "goal": "sub-25 5k"}'),
  ('ca201000-0000-4000-8000-000000000003', 'carol', 'Carol Coach',  '{"units": "metric", "certifications": ["NSCA-CSCS"]}'),
  ('ad000000-0000-4000-8000-000000000004', 'admin', 'Admin',        '{}')
on conflict (id) do nothing;

-- carol coaches alice (accepted) and has asked bob (pending: grants nothing yet).
insert into app.coaching (coach_id, athlete_id, status) values
  ('ca201000-0000-4000-8000-000000000003', 'a11ce000-0000-4000-8000-000000000001', 'accepted'),
  ('ca201000-0000-4000-8000-000000000003', 'b0b00000-0000-4000-8000-000000000002', 'pending')
on conflict do nothing;

-- One private exercise each for alice and bob, to show per-member catalog entries.
insert into app.exercise (name, category, metrics, attributes, owner_id) values
  ('Band-assisted Pull-up', 'strength', array['reps','rpe'], '{"band": "purple"}', 'a11ce000-0000-4000-8000-000000000001'),
  ('Hill Sprints', 'cardio', array['reps','distance_m','duration_s'], '{"hill": "park"}', 'b0b00000-0000-4000-8000-000000000002')
on conflict do nothing;
