import { definePrompt } from 'mcp-cluster/tools';

const CITIES = ['Amsterdam', 'Berlin', 'Lisbon', 'London', 'Madrid', 'Paris', 'Prague', 'Rome', 'Vienna', 'Warsaw'];

/** A prompt a travel agent starts from: the forecast, turned into advice. */
export default definePrompt({
  name: 'weather_briefing',
  title: 'Weather briefing',
  description: 'Asks for a short weather briefing for a trip: the forecast for a city, and what to pack and plan for.',
  arguments: {
    city: { description: 'The city of the trip, e.g. "Lisbon".', required: true, complete: CITIES },
    days: { description: 'How many days ahead, 1 to 7 (default 3).' },
  },
  scopes: ['weather:read'],
  async get({ city, days }) {
    const span = days && /^[1-7]$/.test(days) ? Number(days) : 3;
    return [
      {
        role: 'user',
        content: {
          type: 'text',
          text:
            `I am travelling to ${city} for the next ${span} day${span === 1 ? '' : 's'}. Get the forecast with the ` +
            `get_weather_forecast tool (city "${city}", days ${span}), then give me a briefing of at most five lines: ` +
            'the weather day by day, what to pack, and which day suits outdoor plans best.',
        },
      },
    ];
  },
});
