export {
  type ChatDeps,
  type ChatKind,
  createSlackConsumer,
  createTeamsConsumer,
  postChat,
} from './adapter.js';
export { ALERT_ACTIONS, type ChatMessage, type ChatTone, chatForAlert, chatForRotation } from './message.js';
export { escapeSlack, type SlackPayload, slackPayload } from './slack.js';
export { type TeamsPayload, teamsPayload } from './teams.js';
