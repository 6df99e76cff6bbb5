-- Finding the remembered consents of a subject and client reads only those:
-- the index holds the flows whose consent was remembered, and a flow
-- nobody asked to remember (remember_until NULL) is not in it, so an
-- authorization request costs the same however many flows the subject has.
CREATE INDEX oauth2_flows_remembered_idx ON oauth2_flows (subject, client_id, remember_until)
    WHERE remember_until IS NOT NULL;
