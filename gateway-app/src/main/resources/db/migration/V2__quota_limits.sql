-- Limits set through the admin API; a row overrides the configuration. version orders changes across replicas
-- (the bucket stores keep the newest configuration they have seen, see docs/quotas.md).
-- team_quotas of V1 was never written to: it is replaced by a table whose units may be unlimited.
drop table team_quotas;

create table team_quotas (
    team_id             varchar(36)  not null references teams (id) on delete cascade,
    model               varchar(200) not null,
    tokens_per_minute   bigint,                 -- null: not limited
    requests_per_minute bigint,                 -- null: not limited
    version             bigint       not null,
    updated_at          timestamp with time zone not null,
    primary key (team_id, model)
);

create table deployment_limits (
    deployment          varchar(200) primary key,
    tokens_per_minute   bigint       not null,
    requests_per_minute bigint       not null,
    version             bigint       not null,
    updated_at          timestamp with time zone not null
);
